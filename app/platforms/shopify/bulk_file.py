"""A bulk operation's JSONL result, read as a stream of objects, each with the child rows under it.

Shopify writes one JSON object per line; rows of a nested connection (an order's line items, a
product's variants) are lines of their own naming their parent in ``__parentId``. Shopify only
promises that a child comes after its parent, so the sync asks for ``groupObjects: true``: then
every child follows its parent directly, and the next line without a ``__parentId`` closes the
object before it. That is what lets a file of any size be read line by line, holding one object.
https://shopify.dev/docs/api/usage/bulk-operations/queries (the JSONL data format)

Lines are split on ``\\n`` by hand, not by ``str.splitlines``: a JSON string may hold a raw
U+2028 or U+0085, which ``splitlines`` (and so httpx's ``iter_lines``) would take as line ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from webhooks.payload import decode_json

PARENT = "__parentId"


@dataclass
class BulkObject:
    """One top-level row (``line`` is its line number in the file, from 0) and its children's rows."""

    line: int
    node: dict[str, Any]
    children: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Unreadable:
    """A line that is not a JSON object, or a child whose parent is not the object before it."""

    line: int


def lines_of(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Split a byte stream into lines on ``\\n`` (a ``\\r`` before it is JSON whitespace)."""
    rest = b""
    for chunk in chunks:
        rest += chunk
        *complete, rest = rest.split(b"\n")
        yield from complete
    if rest:
        yield rest


def objects(lines: Iterable[bytes], start: int = 0) -> Iterator[BulkObject | Unreadable]:
    """Yield the file's objects from line ``start`` on (a top-level line), and its unreadable lines."""
    current: BulkObject | None = None
    for number, raw in enumerate(lines):
        if number < start or not raw.strip():
            continue
        row = _row(raw)
        if row is None:
            yield Unreadable(number)
            continue
        parent = row.get(PARENT)
        if parent is None:
            if current is not None:
                yield current
            current = BulkObject(number, row)
        elif current is not None and parent == current.node.get("id"):
            current.children.append(row)
        else:
            yield Unreadable(number)
    if current is not None:
        yield current


def _row(raw: bytes) -> dict[str, Any] | None:
    try:
        value = decode_json(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
