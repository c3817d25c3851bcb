"""Babel's extractor for the flow catalogue: every word a flow shows the merchant, read from the data.

Flows are data (``flows/catalogue``): their names, descriptions, step labels, setting labels, help
texts and choice labels are fields of frozen dataclasses, written as plain literals across many
modules. Reading them from ``CATALOGUE`` itself, rather than marking each literal with ``N_``, finds
every one, including those a new flow adds, and keeps domain code free of markers. ``babel.cfg``
runs this on ``flows/catalogue/__init__.py``; the admin translates the values where it shows them
(the ``tr`` filter, ``gettext(flow.name)``).

``python -m app.web.i18n_extract`` writes ``app/translations/messages.pot`` from the sources, the
same way ``tests/test_admin_i18n.py`` re-extracts it to prove the committed one is up to date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import write_po

from flows.catalogue import CATALOGUE
from flows.definitions import Flow

ROOT = Path(__file__).resolve().parents[2]
BABEL_CFG = ROOT / "babel.cfg"
TEMPLATE = ROOT / "app" / "translations" / "messages.pot"
# The template's header date, fixed: the .pot and each .po then change only when a string does.
CREATED = datetime(2026, 12, 4, tzinfo=UTC)
# gettext, ngettext, _ ... and the domain's no-op marker (app/core/i18n.py).
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}

# What Babel expects of an extractor: (line number, function name, message, translator comments).
Extracted = tuple[int, str | None, str, list[str]]


def flow_words(flow: Flow) -> Iterator[str]:
    """Yield the merchant-facing words of one flow, in the order the flow page shows them."""
    yield flow.name
    yield flow.description
    for step in flow.steps:
        label = getattr(step, "label", "")
        if label:
            yield label
    for param in flow.params:
        yield param.label
        if param.help:
            yield param.help
        for _, choice_label in param.choices:
            yield choice_label


def extract_catalogue(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[Extracted]:
    """Yield each catalogue word once, with the flow it first comes from as a translator comment."""
    seen: set[str] = set()
    for key, flow in CATALOGUE.items():
        for words in flow_words(flow):
            if words and words not in seen:
                seen.add(words)
                yield 1, None, words, [f"flow: {key}"]


def extract_messages(root: Path = ROOT) -> Catalog:
    """Extract every admin string under ``root`` as ``babel.cfg`` says, into a catalogue template."""
    with BABEL_CFG.open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    catalog = Catalog(project="Storeflow", charset="utf-8", creation_date=CREATED)
    found = extract_from_dir(str(root), method_map, options_map, keywords=KEYWORDS, comment_tags=("NOTE:",))
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def write_template(catalog: Catalog, path: Path = TEMPLATE) -> None:
    """Write the template without line numbers or dates, so it changes only when a string does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, catalog, omit_header=False, no_location=True, sort_output=True, include_lineno=False)


if __name__ == "__main__":
    write_template(extract_messages())
    print(f"wrote {TEMPLATE.relative_to(ROOT)}")
