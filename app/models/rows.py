"""Row helpers shared by every writer that may race another worker or request."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
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
