"""A session whose every write is thrown away: the simulator's guarantee that it changes nothing.

The session runs inside one outer transaction on its own connection; each ``commit()`` the real
engine, runner and sender make only releases a savepoint (``join_transaction_mode=
"create_savepoint"``), and the outer transaction is always rolled back at the end. SQLite's driver
opens transactions lazily, which would let the first savepoint's release commit for real, so the
outer transaction is begun explicitly there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session


@contextmanager
def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """Yield a session whose writes, committed or not, are all rolled back on exit."""
    with engine.connect() as connection:
        transaction = connection.begin()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()
