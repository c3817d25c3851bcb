"""Write a group of inbox rows as one statement, and say for each whether it was new.

One multi-row ``INSERT … ON CONFLICT (platform, shop_id, event_id) DO NOTHING RETURNING`` on an
autocommit connection is its own transaction: when the driver returns, every row in it is durable,
and the keys it returns are the rows that were new. Three things keep one row from deciding for the
others:

- the same event twice in one group (two deliveries of one webhook at once) is written once; the
  second is answered as a duplicate, as it would be a moment later;
- a statement the database refuses (one row it will not take) is retried row by row, so only the
  row that fails fails;
- a connection found dead (a database restart) is replaced and the group written again, once; a
  database that stays unreachable fails the group, and each delivery is asked for again (503).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection

from app.core.errors import StoreflowError

COLUMNS = (
    "shop_id",
    "platform",
    "topic",
    "event_id",
    "webhook_id",
    "api_version",
    "triggered_at",
    "received_at",
    "body",
    "status",
    "attempts",
)
# What dedupes a delivery: (platform, shop_id, event_id), as the unique constraint and RETURNING name it.
_KEY = (COLUMNS.index("platform"), COLUMNS.index("shop_id"), COLUMNS.index("event_id"))

Row = tuple[Any, ...]  # one value per COLUMNS entry, bound as the driver takes it
Key = tuple[Any, ...]


class DatabaseUnreachable(StoreflowError, RuntimeError):
    """No connection could be had, or it kept dying: nothing of the group was written."""


def key_of(row: Row) -> Key:
    return (row[_KEY[0]], row[_KEY[1]], row[_KEY[2]])


class InboxWriter:
    """Writes groups of rows on one connection of the inbox's autocommit engine, kept between groups.

    Called by one group's leader at a time (``webhooks.group_commit``), so the connection needs no
    lock. The statement for each group size is built once; psycopg prepares it after a few uses.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._placeholder = "?" if engine.dialect.name == "sqlite" else "%s"
        self._statements: dict[int, str] = {}
        self._connection: PoolProxiedConnection | None = None
        self._pid = os.getpid()
        self._inherited: PoolProxiedConnection | None = None

    def write(self, rows: Sequence[Row]) -> list[bool | Exception]:
        """Write the rows; return, for each, True (new), False (already stored) or why it was not written."""
        keys = [key_of(row) for row in rows]
        first_of: dict[Key, int] = {}
        unique: list[Row] = []
        for key, row in zip(keys, rows, strict=True):
            if key not in first_of:
                first_of[key] = len(unique)
                unique.append(row)
        written = self._write_unique(unique)
        outcomes: list[bool | Exception] = []
        answered: set[Key] = set()
        for key in keys:
            outcome = written[first_of[key]]
            outcomes.append(False if key in answered and outcome is True else outcome)
            answered.add(key)
        return outcomes

    def close(self) -> None:
        self._drop()

    def _write_unique(self, rows: list[Row]) -> list[bool | Exception]:
        try:
            new = self._insert(rows)
        except DatabaseUnreachable as exc:
            return [exc] * len(rows)
        except Exception as exc:
            if len(rows) == 1:
                return [exc]
            return [self._alone(row) for row in rows]
        return [key_of(row) in new for row in rows]

    def _alone(self, row: Row) -> bool | Exception:
        """Write one row of a refused group by itself, so only a row the database refuses fails."""
        try:
            return key_of(row) in self._insert([row])
        except Exception as exc:
            return exc

    def _insert(self, rows: list[Row]) -> set[Key]:
        """Run the group's statement and return the keys it inserted; replace a dead connection once."""
        for attempt in (1, 2):
            connection = self._connect()
            try:
                return self._execute(connection, rows)
            except Exception as exc:
                dead = self._is_disconnect(exc, connection)
                self._drop(invalidate=dead)
                if not dead:
                    raise
                if attempt == 2:
                    raise DatabaseUnreachable(str(exc)) from exc
        raise AssertionError("unreachable")

    def _execute(self, connection: PoolProxiedConnection, rows: list[Row]) -> set[Key]:
        cursor = connection.cursor()
        try:
            cursor.execute(self._statement(len(rows)), [value for row in rows for value in row])
            return {tuple(returned) for returned in cursor.fetchall()}
        finally:
            cursor.close()

    def _statement(self, rows: int) -> str:
        statement = self._statements.get(rows)
        if statement is None:
            values = "(" + ", ".join([self._placeholder] * len(COLUMNS)) + ")"
            statement = self._statements[rows] = (
                f"INSERT INTO webhook_event ({', '.join(COLUMNS)}) VALUES {', '.join([values] * rows)} "
                "ON CONFLICT (platform, shop_id, event_id) DO NOTHING RETURNING platform, shop_id, event_id"
            )
        return statement

    def _connect(self) -> PoolProxiedConnection:
        if self._pid != os.getpid():
            # A forked child must neither use nor close its parent's connections (closing one ends
            # the parent's session): keep the inherited one referenced, and the pool's forgotten.
            self._inherited, self._connection = self._connection, None
            self._pid = os.getpid()
            self.engine.dispose(close=False)
        if self._connection is None:
            try:
                self._connection = self.engine.raw_connection()
            except Exception as exc:
                raise DatabaseUnreachable(str(exc)) from exc
        return self._connection

    def _is_disconnect(self, exc: Exception, connection: PoolProxiedConnection) -> bool:
        """Tell a dead connection (replace it, write again) from a statement the database refused."""
        dialect = self.engine.dialect
        return isinstance(exc, dialect.loaded_dbapi.Error) and dialect.is_disconnect(exc, connection, None)

    def _drop(self, invalidate: bool = False) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if invalidate:
            connection.invalidate()
        else:
            connection.close()
