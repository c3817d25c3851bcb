"""The relay: hand stored webhooks to RQ, and re-enqueue flow steps whose jobs went missing.

The webhook endpoint only writes to the database (fast, and it works while Redis is down). This
loop, running in every worker process, moves unprocessed rows onto the queue in batches. Rows are
claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers never hand out the same
batch; ``dispatched_at`` is a lease after which a row whose job was lost is handed out again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from app.core.clock import Clock, SystemClock, utcnow
from app.db.models import Enrollment, WebhookEvent
from app.db.models.automation import ACTIVE
from app.jobs.scheduling import step_job_id

log = logging.getLogger(__name__)

DISPATCH_LEASE = timedelta(minutes=2)
BATCH_SIZE = 100
OVERDUE_GRACE = timedelta(seconds=30)
LIVE_JOB_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.STARTED})
SYSTEM_CLOCK = SystemClock()


def awaiting_processing(clock: Clock) -> ColumnElement[bool]:
    """Stored events not processed yet whose retry backoff, if they failed before, has passed."""
    return and_(
        WebhookEvent.processed_at.is_(None),
        or_(WebhookEvent.retry_at.is_(None), WebhookEvent.retry_at <= clock.now()),
    )


def relay_webhooks(
    session: Session, queue: Queue, now: datetime | None = None, clock: Clock = SYSTEM_CLOCK
) -> int:
    """Enqueue unprocessed webhooks in batches; return how many were handed out.

    ``now`` (wall-clock) measures dispatch leases; ``clock`` says whether a failed event's backoff
    (``retry_at``, flow time) has passed.
    """
    from app.jobs.tasks import process_events

    now = now or utcnow()
    total = 0
    while True:
        query = (
            select(WebhookEvent.id)
            .where(
                awaiting_processing(clock),
                or_(
                    WebhookEvent.dispatched_at.is_(None),
                    WebhookEvent.dispatched_at < now - DISPATCH_LEASE,
                ),
            )
            .order_by(WebhookEvent.id)
            .limit(BATCH_SIZE)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(session.scalars(query))
        if not ids:
            session.rollback()
            return total
        try:
            queue.enqueue(process_events, ids, job_id=f"webhooks-{ids[0]}-{ids[-1]}-{int(now.timestamp())}")
        except RedisError:
            session.rollback()
            raise
        session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id.in_(ids))
            .values(dispatched_at=now)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        total += len(ids)
        if len(ids) < BATCH_SIZE:
            return total


def enqueue_overdue_steps(
    session: Session, queue: Queue, clock: Clock, grace: timedelta = OVERDUE_GRACE, limit: int = 500
) -> int:
    """Enqueue steps due for longer than ``grace`` (wall-clock) whose job is not queued or running."""
    from app.jobs.tasks import run_step

    cutoff = clock.now() - grace * clock.speedup
    rows = session.execute(
        select(Enrollment.id, Enrollment.run_token)
        .where(Enrollment.state == ACTIVE, Enrollment.next_run_at <= cutoff)
        .order_by(Enrollment.next_run_at)
        .limit(limit)
    ).all()
    session.rollback()
    enqueued = 0
    for enrollment_id, token in rows:
        job_id = step_job_id(enrollment_id, token)
        try:
            if Job.fetch(job_id, connection=queue.connection).get_status() in LIVE_JOB_STATUSES:
                continue
        except NoSuchJobError:
            pass
        queue.enqueue(run_step, enrollment_id, token, job_id=job_id)
        enqueued += 1
    if enqueued:
        log.info("re-enqueued %d overdue step(s)", enqueued)
    return enqueued
