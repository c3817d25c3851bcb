"""Read back what the app stored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import event, func, select

from app.db import db


def count(app: Flask, model: Any, **filters: Any) -> int:
    """Count rows of a model matching the filters."""
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model).filter_by(**filters)) or 0)


def rows(app: Flask, model: Any, *order_by: Any, **filters: Any) -> list[Any]:
    """Return detached rows of a model matching the filters."""
    with app.app_context():
        query = select(model).filter_by(**filters).order_by(*(order_by or (model.id,)))
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


@dataclass
class Sent:
    """What the ORM's engine was sent while watched: each statement's text, and the commits."""

    statements: list[str] = field(default_factory=list)
    commits: int = 0


@contextmanager
def watching_statements(app: Flask) -> Iterator[Sent]:
    """Record every statement and commit the app's engine is sent inside the block."""
    sent = Sent()

    def statement(conn: Any, cursor: Any, text: str, *args: Any) -> None:
        sent.statements.append(text)

    def commit(conn: Any) -> None:
        sent.commits += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
