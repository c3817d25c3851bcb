"""Draw row ids ahead of their INSERTs, so a batch can write its new rows in one statement.

A message's id is in its links (unsubscribe, click tracking) before the row is written, so a row
made alone is flushed at once to learn its id: one INSERT per message. A batch instead draws ids
for all of its possible new rows from the table's sequence in one round trip, and the rows are
inserted together at its commit. Ids drawn and not used leave gaps, as rolled-back INSERTs do.
SQLite has no sequences: there each new row is flushed alone, as before.
"""

from __future__ import annotations

from collections import deque

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.reads import known, remember

_DRAWN = "drawn_ids"  # table name → deque of ids drawn for the batch, for shared reads


def draw_ids(session: Session, table: str, count: int) -> None:
    """Draw ``count`` ids of ``table`` for the batch (PostgreSQL; elsewhere nothing)."""
    if count <= 0 or session.get_bind().dialect.name != "postgresql":
        return
    sequence = func.pg_get_serial_sequence(table, "id")
    ids = session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, count))).all()
    remember(session, _DRAWN, {table: deque(ids)})


def next_id(session: Session, table: str) -> int | None:
    """Take one id drawn for the batch, or None when none is left (the row is flushed alone)."""
    drawn = known(session, _DRAWN)
    pool: deque[int] | None = drawn.get(table) if drawn is not None else None
    return pool.popleft() if pool else None
