"""Read back what the app stored."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

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
