"""Reads shared across one batch: rows its steps look up again and again, each loaded once.

A batch of steps (app/jobs/steps.py) asks, for every enrollment, for its flow's settings, its
message row, its checkout, its shopper's suppressions and recent sends. Inside ``shared_reads``
each such lookup is remembered for the batch, and the batch fills them up front with one
set-based query per kind (app/messaging/preload.py); outside it, every lookup goes to the database
as it always did. What the batch itself writes is remembered as it is written (``remember``), so a
later step of the same batch reads it back.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

_READS = "storeflow.shared_reads"


def remembered(session: Session, kind: str, key: Hashable, load: Callable[[], T]) -> T:
    """Return the batch's remembered answer for ``(kind, key)``, loading it once; outside a batch, load."""
    reads: dict[str, dict[Hashable, Any]] | None = session.info.get(_READS)
    if reads is None:
        return load()
    table = reads.setdefault(kind, {})
    if key not in table:
        table[key] = load()
    value: T = table[key]
    return value


def remember(session: Session, kind: str, answers: Mapping[Any, Any]) -> None:
    """Remember answers for the batch (a preload, or a row the batch just wrote); outside one, nothing."""
    reads: dict[str, dict[Hashable, Any]] | None = session.info.get(_READS)
    if reads is not None:
        reads.setdefault(kind, {}).update(answers)


def known(session: Session, kind: str) -> Mapping[Any, Any] | None:
    """Everything the batch remembers of one kind (None outside a batch)."""
    reads: dict[str, dict[Hashable, Any]] | None = session.info.get(_READS)
    return None if reads is None else reads.setdefault(kind, {})


def sharing_reads(session: Session) -> bool:
    """Tell whether lookups are remembered for a batch just now."""
    return _READS in session.info


@contextmanager
def shared_reads(session: Session) -> Iterator[None]:
    """Remember lookups for the length of the block (one batch), then forget them all."""
    session.info[_READS] = {}
    try:
        yield
    finally:
        session.info.pop(_READS, None)
