"""Row helpers shared by every writer that may race another worker or request."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def get_or_create(session: Session, model: type[Row], **keys: Any) -> tuple[Row, bool]:
    """Return the row with these unique keys, inserting it if missing; True when this call created it.

    The insert runs in a savepoint, so when a concurrent writer inserts the same keys first, its row
    is returned instead of the transaction failing.
    """
    query = select(model).filter_by(**keys)
    row = session.scalars(query).first()
    if row is not None:
        return row, False
    row = model(**keys)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return session.scalars(query).one(), False
    return row, True


def insert_missing(
    session: Session, model: type[Any], rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> set[tuple[Any, ...]]:
    """Insert, in one statement, the rows whose unique keys are not stored yet; return the keys inserted.

    ``ON CONFLICT DO NOTHING`` on those keys, so a redelivered row, or one a concurrent writer
    stored first, is skipped instead of failing the batch. Rows must carry every column's value.
    """
    return {tuple(row) for row in insert_missing_rows(session, model, rows, keys, keys)}


def insert_missing_rows(
    session: Session,
    model: type[Any],
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
    returning: tuple[str, ...],
) -> list[tuple[Any, ...]]:
    """Insert, in one statement, the rows whose unique keys are not stored yet; return ``returning`` of each.

    As ``insert_missing``, for a caller that needs more of what it inserted (its ids) than the keys.
    The rows are sent as one executemany that SQLAlchemy pages into multi-row INSERTs (its
    "insertmanyvalues"), compiled once: thousands of rows cost a few round trips, not a compile each.
    """
    if not rows:
        return []
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = model.__table__
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(*(table.c[column] for column in returning))
    )
    return [tuple(row) for row in session.connection().execute(statement, rows)]
