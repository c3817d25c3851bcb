"""The one database handle the domain uses, bound by whichever edge runs (web app, worker, CLI).

Domain code reads ``db.session`` without knowing who made the session: the web layer binds
Flask-SQLAlchemy's scoped session here when it builds an app, so the domain imports no Flask.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

from app.core.errors import StoreflowError


class DatabaseNotBoundError(StoreflowError):
    """Code asked for a session before any edge bound the database (no app was built)."""

    reason = "database_not_bound"


class Database:
    """Hands out the bound scoped session; one per process, bound once per app built."""

    def __init__(self) -> None:
        self._sessions: scoped_session[Session] | None = None

    def bind(self, sessions: scoped_session[Any]) -> None:
        self._sessions = sessions

    @property
    def session(self) -> scoped_session[Session]:
        if self._sessions is None:
            raise DatabaseNotBoundError(
                "no database is bound: build the app (app.web.factory.create_app) first"
            )
        return self._sessions

    @property
    def engine(self) -> Engine:
        """The engine the current session writes to (the app's default bind)."""
        bind = self.session.get_bind()
        return bind if isinstance(bind, Engine) else bind.engine


db = Database()
