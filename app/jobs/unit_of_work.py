"""One way to let the flows react to what happened: apply, decide, commit, then schedule.

Every edge that feeds the flow engine (a webhook job, the storefront activity job, the calendar
tick, the double opt-in page, the notify-me form) runs its body inside ``unit_of_work``. The body
applies its event and hands the engine its triggers; the unit of work commits, and only then puts
the step jobs the engine asked for on the queue. A job enqueued before its enrollment row is
committed could run, find nothing and be lost; a body that raises rolls back, and the jobs it
asked for are discarded, so nothing runs for rows that were never written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.core.clock import Clock
from flows.engine import FlowEngine
from flows.scheduling import DeferredScheduler, StepScheduler


@dataclass(frozen=True)
class Work:
    """What the body of a unit of work decides with: the engine, and the schedule it collects."""

    engine: FlowEngine
    scheduler: DeferredScheduler


@contextmanager
def unit_of_work(session: Session, clock: Clock, scheduler: StepScheduler) -> Iterator[Work]:
    """Run the body in one transaction: commit it, then schedule; on any error roll back and discard."""
    deferred = DeferredScheduler(scheduler)
    try:
        yield Work(FlowEngine(session, clock, deferred), deferred)
        session.commit()
    except BaseException:
        session.rollback()
        deferred.discard()
        raise
    deferred.flush()
