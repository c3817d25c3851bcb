"""The docs' pictures of the admin (demo/screenshots.py, ``make screenshots``): every admin page is
photographed, at both widths, and the docs show only pictures that exist and that the script makes.

The capture itself takes a minute (it plays the whole demo), so it is not run here; its one-page
smoke test is tests/browser/test_screenshots.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from demo.screenshots import NOT_PAGES, OUTPUT, SHOTS, WIDTHS
from tests.test_docs import PAGES, relative_links

ROOT = Path(__file__).resolve().parents[1]
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+\.png)\)|<img [^>]*src=\"([^\"]+\.png)\"")


def images_shown(page: Path) -> list[Path]:
    text = page.read_text()
    found = [a or b for a, b in IMAGE.findall(text)]
    return [(page.parent / target).resolve() for target in found if not target.startswith("http")]


def test_the_script_photographs_every_admin_page(app):
    admin_get_endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/admin") and "GET" in (rule.methods or ())
    }

    photographed = {shot.endpoint for shot in SHOTS}
    assert admin_get_endpoints - photographed - NOT_PAGES.keys() == set(), "add the new page to SHOTS"
    assert (photographed | NOT_PAGES.keys()) - admin_get_endpoints == set(), "a listed page is gone"


def test_each_page_has_its_own_file_name():
    names = [shot.name for shot in SHOTS]

    assert len(names) == len(set(names))


def test_the_screenshots_folder_holds_exactly_what_the_script_makes():
    made = {file for shot in SHOTS for file in shot.files()}

    assert {path.name for path in OUTPUT.glob("*")} == made
    assert len(made) == len(SHOTS) * len(WIDTHS)


def test_every_image_the_readme_and_docs_show_exists():
    shown = {image for page in PAGES for image in images_shown(page)}

    assert shown, "the docs show no screenshot"
    assert [str(image.relative_to(ROOT)) for image in sorted(shown) if not image.exists()] == []


def test_the_gallery_shows_every_screenshot_at_both_widths():
    gallery = ROOT / "docs" / "screenshots.md"

    assert {image.name for image in images_shown(gallery)} == {f for s in SHOTS for f in s.files()}


def test_the_readme_links_the_gallery():
    assert "docs/screenshots.md" in set(relative_links(ROOT / "README.md"))
