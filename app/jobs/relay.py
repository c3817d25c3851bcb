"""The relay: hand stored webhooks to RQ.

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
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from app.core.clock import Clock, SystemClock, utcnow
from app.db.models import WebhookEvent

log = logging.getLogger(__name__)

DISPATCH_LEASE = timedelta(minutes=2)
BATCH_SIZE = 100
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
