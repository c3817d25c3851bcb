"""Move queued storefront posts into the database in batches (run by the worker's relay loop).

Each batch is stored in one transaction (app/storefront/drain.py). If it fails, the posts go back
to the head of the queue and the error reaches the loop, which retries later. A worker killed
between taking a batch and committing it loses that batch (at most ``BATCH_SIZE`` posts): the
price of keeping the storefront's path to one Redis call.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.storefront.activity import Activity
from app.storefront.buffer import PostQueue
from app.storefront.drain import readable, store_posts

BATCH_SIZE = 500


def drain_events(
    session: Session,
    buffer: PostQueue,
    secret_key: str,
    batch_size: int = BATCH_SIZE,
    report: Callable[[list[Activity]], None] | None = None,
) -> int:
    """Store queued posts until the queue is empty; return how many posts were stored.

    ``report`` receives what known shoppers did, once stored, for the flows to react to.
    """
    total = 0
    while raw := buffer.take(batch_size):
        try:
            activities = store_posts(session, readable(raw), secret_key)
            session.commit()
        except Exception:
            session.rollback()
            buffer.give_back(raw)
            raise
        if report is not None and activities:
            report(activities)
        total += len(raw)
        if len(raw) < batch_size:
            break
    return total
