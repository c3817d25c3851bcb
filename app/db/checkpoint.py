"""The one way domain code commits mid-way: a checkpoint that exactly-once sending needs.

Domain functions flush at most; the job, view or CLI that called them commits, and a unit of work
(app/jobs/unit_of_work.py) schedules what the flows decided only after that commit. Running a
step is the exception, because a step talks to the world: the step's claim on its enrollment, a
message claimed pending → sending, a discount code chosen before the platform is asked for it,
must be durable *before* the call, so a second worker or a retry sees them and does not call
again; and what the call did must be durable *right after* it, so a crash does not repeat a call
that succeeded. Each decision a step records (skipped, deferred, failed, sent) is durable before
the enrollment moves on, so a step superseded by a newer state of its enrollment keeps it.

Those commits, and only those, go through ``checkpoint``, so they stay few, named and searchable;
tests/test_unit_of_work.py keeps every other ``commit()`` out of the domain.

A batch of steps (app/jobs/steps.py) makes the same points durable for the whole batch at once: it
commits every claim before it makes any provider call and every answer right after them, so inside
``batch_commits`` a checkpoint leaves the commit to the batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

_BATCH = "storeflow.batch_commits"


def checkpoint(session: Session) -> None:
    """Make what the step did so far durable now, before it talks to the world or moves on."""
    if not session.info.get(_BATCH):
        session.commit()


def in_batch(session: Session) -> bool:
    """Tell whether a batch commits for the steps running in this session just now."""
    return bool(session.info.get(_BATCH))


@contextmanager
def batch_commits(session: Session) -> Iterator[None]:
    """Let the batch driving the steps commit at its own durable points instead of each checkpoint."""
    session.info[_BATCH] = True
    try:
        yield
    finally:
        session.info.pop(_BATCH, None)
