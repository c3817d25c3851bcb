"""Write a batch's enrollment changes in one statement, each row's version still checked.

SQLAlchemy writes each versioned row with its own UPDATE (``version_id_col`` rules out
executemany), so a batch of 100 steps would end with 100 UPDATEs of ``enrollment``. On PostgreSQL
this writes them as one ``UPDATE … FROM (VALUES …)`` that matches each row on its id *and* the
version the batch loaded, bumps the version, and returns the ids it wrote: a row someone changed
meanwhile is not written and comes back as stale, as the ORM's ``StaleDataError`` would say. The
objects are then marked as written (``set_committed_value``), so the ORM's flush leaves them alone.

Only changes to the step-state columns go this way; an enrollment with any other change, and
every enrollment on SQLite, is flushed by the ORM as before.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Integer, cast, column, inspect, update, values
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.core.clock import utcnow
from app.db.models import Enrollment

STEP_STATE = ("state", "step_index", "anchor_at", "next_run_at", "exit_reason", "ended_at")


def write_step_state(session: Session, enrollments: Iterable[Enrollment]) -> list[int]:
    """Write these enrollments' step-state changes in one statement; return the ids found stale."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    changed = [e for e in enrollments if _only_step_state_changed(e)]
    if not changed:
        return []
    now = utcnow()
    rows = values(
        column("id", Integer()),
        column("token", Integer()),
        *(column(name, Enrollment.__table__.c[name].type) for name in STEP_STATE),
        name="written",
    ).data([(e.id, e.run_token, *(getattr(e, name) for name in STEP_STATE)) for e in changed])
    written = set(
        session.scalars(
            update(Enrollment)
            .where(Enrollment.id == rows.c.id, Enrollment.run_token == rows.c.token)
            .values(
                # A VALUES row's NULL has no type of its own: each value is cast to its column's.
                {name: cast(rows.c[name], Enrollment.__table__.c[name].type) for name in STEP_STATE}
                | {"run_token": Enrollment.run_token + 1, "updated_at": now}
            )
            .returning(Enrollment.id)
            .execution_options(synchronize_session=False)
        )
    )
    for enrollment in changed:
        if enrollment.id in written:
            for name in STEP_STATE:
                set_committed_value(enrollment, name, getattr(enrollment, name))
            set_committed_value(enrollment, "run_token", enrollment.run_token + 1)
            set_committed_value(enrollment, "updated_at", now)
    return sorted(e.id for e in changed if e.id not in written)


def _only_step_state_changed(enrollment: Enrollment) -> bool:
    attrs = inspect(enrollment).attrs
    changed = {attr.key for attr in attrs if attr.history.has_changes()}
    return bool(changed) and changed <= set(STEP_STATE)
