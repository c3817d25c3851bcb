"""Run a batch of stored webhooks: together in one unit of work, and one by one only around a fault.

The batch is tried whole (app/jobs/processing.py ``process_batch``: one transaction, one commit).
When it raises at an event, it was rolled back whole: the events before that one are tried again as
a batch, that event alone in a unit of work of its own (``process``, where a raise is recorded as
its failure, app/jobs/failures.py), and the batch goes on after it. So one poison event never
blocks the rest, and its failure is counted, retried and quarantined exactly as before. A batch
that fails at its commit, where no event is to blame, is run one event at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.core.clock import Clock
from app.jobs.failures import record_failure
from app.jobs.processing import BatchInterrupted, EventProcessor


@dataclass
class BatchResult:
    """Each event's final status, and the ids whose processing raised (their failure recorded)."""

    statuses: dict[int, str] = field(default_factory=dict)
    failed: list[int] = field(default_factory=list)


def process_batch(
    session: Session, processor: EventProcessor, event_ids: Sequence[int], clock: Clock
) -> BatchResult:
    """Process the events as one batch, isolating any event the batch cannot take."""
    result = BatchResult()
    _run(session, processor, sorted(set(event_ids)), clock, result)
    return result


def process_each(
    session: Session, processor: EventProcessor, event_ids: Sequence[int], clock: Clock
) -> BatchResult:
    """Process the events one at a time, each in its own unit of work with its own commit."""
    result = BatchResult()
    for event_id in event_ids:
        _one(session, processor, event_id, clock, result)
    return result


def _run(
    session: Session, processor: EventProcessor, ids: list[int], clock: Clock, result: BatchResult
) -> None:
    while ids:
        try:
            result.statuses.update(processor.process_batch(ids))
            return
        except BatchInterrupted as stop:
            position = stop.position
        if position is None:
            for event_id in ids:
                _one(session, processor, event_id, clock, result)
            return
        _run(session, processor, ids[:position], clock, result)
        _one(session, processor, ids[position], clock, result)
        ids = ids[position + 1 :]


def _one(
    session: Session, processor: EventProcessor, event_id: int, clock: Clock, result: BatchResult
) -> None:
    try:
        result.statuses[event_id] = processor.process(event_id)
    except Exception as exc:
        session.rollback()
        record_failure(session, event_id, exc, clock)
        session.commit()
        result.failed.append(event_id)
