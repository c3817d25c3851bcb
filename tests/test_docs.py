"""The README is the five-minute page a newcomer reads, and every link in it and in docs/ leads
somewhere: a page that was moved or a heading that was renamed fails here, not in a reader's
browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, ROOT / "SECURITY.md", *sorted((ROOT / "docs").rglob("*.md"))]
README_MAX_LINES = 300

FENCE = re.compile(r"^(```|~~~)")
HEADING = re.compile(r"^(#{1,6}) +(.*?) *#*$")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
INLINE_CODE = re.compile(r"`[^`]*`")


def prose_lines(text: str) -> Iterator[str]:
    """The lines of a Markdown page outside fenced code blocks, where links and headings live."""
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield line


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    words = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower())
    return words.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor GitHub makes for the page's headings, numbering repeats as it does."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(page.read_text()):
        match = HEADING.match(line)
        if match is None:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(page: Path) -> Iterator[str]:
    for line in prose_lines(page.read_text()):
        for target in LINK.findall(INLINE_CODE.sub("", line)):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target):
                yield target


def broken(page: Path, target: str) -> str | None:
    """Why ``target``, linked from ``page``, leads nowhere; None when it resolves."""
    path_part, _, anchor = target.partition("#")
    destination = (page.parent / path_part).resolve() if path_part else page
    if not destination.exists():
        return f"{path_part} does not exist"
    if anchor and destination.suffix == ".md" and anchor not in anchors(destination):
        return f"{destination.name} has no heading #{anchor}"
    return None


def test_the_readme_reads_in_five_minutes():
    lines = README.read_text().splitlines()

    assert len(lines) <= README_MAX_LINES


def test_the_readme_has_a_table_of_contents_naming_every_section():
    lines = list(prose_lines(README.read_text()))
    start = lines.index("## Contents")
    contents = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        contents += re.findall(r"\]\(#([^)]+)\)", line)
    sections = [slug(line[3:]) for line in lines if line.startswith("## ") and line != "## Contents"]

    assert contents == sections
    assert set(contents) <= anchors(README)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    problems = [f"{target}: {why}" for target in relative_links(page) if (why := broken(page, target))]

    assert problems == []


def test_the_link_check_sees_a_missing_page_and_a_missing_heading(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## A section\n")

    assert broken(page, "#a-section") is None
    assert broken(page, "#title") is None
    assert broken(page, "#nowhere") is not None
    assert broken(page, "gone.md") is not None


# A file (with its extension) or a folder (with its slash); `app/uninstalled` is a Shopify topic.
SOURCE_PATH = re.compile(
    r"`((?:app|webhooks|flows|demo|bench|tests|migrations|extensions)/[\w./-]*(?:\.\w+|/))(?:[:`]| \()"
)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_source_path_a_page_names_exists(page):
    """A page that names `app/…/x.py` points at a file that is there, so moves cannot strand the docs."""
    named = set(SOURCE_PATH.findall(page.read_text()))

    assert sorted(path for path in named if not (ROOT / path).exists()) == []
