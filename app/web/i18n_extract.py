"""Babel's extractor for the flow catalogue: every word a flow shows the merchant, read from the data.

Flows are data (``flows/catalogue``): their names, descriptions, step labels, setting labels, help
texts and choice labels are fields of frozen dataclasses, written as plain literals across many
modules. Reading them from ``CATALOGUE`` itself, rather than marking each literal with ``N_``, finds
every one, including those a new flow adds, and keeps domain code free of markers. ``babel.cfg``
runs this on ``flows/catalogue/__init__.py``; the admin translates the values where it shows them
(the ``tr`` filter, ``gettext(flow.name)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from flows.catalogue import CATALOGUE
from flows.definitions import Flow

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
