"""Row helpers shared by every writer that may race another worker or request."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def get_or_create(session: Session, model: type[Row], **keys: Any) -> tuple[Row, bool]:
    """Return the row with these unique keys, inserting it if missing; True when this call created it.

    The insert is ``INSERT … ON CONFLICT DO NOTHING RETURNING``: when a concurrent writer inserts
    the same keys first, nothing is inserted and its row is read instead, without the savepoint
    (two more round trips) a caught IntegrityError would need.
    """
    query = select(model).filter_by(**keys)
    row = session.scalars(query).first()
    if row is not None:
        return row, False
    created = insert_row(session, model(**keys))
    if created is None:
        return session.scalars(query).one(), False
    return created, True


def insert_row(session: Session, row: Row) -> Row | None:
    """Insert a new ORM object unless a unique key of its is taken; return the stored row, or None.

    One ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (PostgreSQL and SQLite): the object's
    attributes set to a value are the values, every other column (and one set to None) takes its
    default, a version column its first version as a flush would give it, and the row comes back
    as a persistent object of the session. ``row`` itself is not added to the session.
    """
    mapper = inspect(type(row))
    state = inspect(row)
    values = {
        column.key: state.dict[column.key]
        for column in mapper.column_attrs
        if column.key in state.dict and state.dict[column.key] is not None
    }
    if mapper.version_id_col is not None and mapper.version_id_generator:
        version = mapper.get_property_by_column(mapper.version_id_col).key
        values.setdefault(version, mapper.version_id_generator(None))
    statement = (
        _dialect_insert(session)(type(row)).values(**values).on_conflict_do_nothing().returning(type(row))
    )
    return session.scalars(statement).first()


def insert_new_rows(session: Session, model: type[Row], rows: list[dict[str, Any]]) -> list[Row]:
    """Insert many rows in one ``INSERT … ON CONFLICT DO NOTHING RETURNING``; return those stored.

    Any unique key taken (by a concurrent writer) skips that row. Every row must carry the same
    columns, defaults included: a multi-row VALUES takes no column defaults of its own.
    """
    if not rows:
        return []
    statement = _dialect_insert(session)(model).values(rows).on_conflict_do_nothing().returning(model)
    return list(session.scalars(statement))


def _dialect_insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


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
    table = model.__table__
    statement = (
        _dialect_insert(session)(table)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(*(table.c[column] for column in returning))
    )
    return [tuple(row) for row in session.connection().execute(statement, rows)]
