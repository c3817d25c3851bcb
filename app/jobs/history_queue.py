"""Queueing the history sync: at install, from the admin or the CLI, by the sweep, by a webhook.

The row's ``retry_at`` says when to look again; the relay's sweep (``resume_due``) queues the shops
whose time came (after a wait, a failure, or a run whose worker died). Shopify's
``bulk_operations/finish`` webhook wakes a waiting sync sooner (``wake``). The job is named by its
path, not imported: the job needs the platforms, whose install side queues the sync.
"""

from __future__ import annotations

import logging
from datetime import datetime

from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy.orm import Session

from app.db.models import Shop
from app.jobs.services import Services
from app.sync.runner import STALE_RUN
from app.sync.state import claim_due, start_sync, waiting_on_platform

log = logging.getLogger(__name__)

RUN_JOB = "app.jobs.history.run_history_sync"


def request_sync(session: Session, services: Services, shop: Shop) -> bool:
    """Open a sync of the shop's whole history and queue its first run; False when one is under way."""
    if not start_sync(session, shop.id, services.clock.now()):
        return False
    session.commit()
    enqueue(services.queue, shop.id)
    return True


def enqueue(queue: Queue, shop_id: int) -> None:
    """Queue a run; when Redis is down the sweep starts it later (the row's ``retry_at`` is due)."""
    try:
        queue.enqueue(RUN_JOB, shop_id)
    except RedisError as exc:
        log.warning("could not queue the history sync of shop %s; the sweep will: %s", shop_id, exc)


def resume_due(session: Session, queue: Queue, now: datetime) -> int:
    """Queue a run for every shop whose sync is due (the relay's sweep); return how many."""
    shops = claim_due(session, now, STALE_RUN)
    session.commit()
    for shop_id in shops:
        queue.enqueue(RUN_JOB, shop_id)
    return len(shops)


def wake(session: Session, queue: Queue, shop_id: int) -> bool:
    """Queue a run now if the shop's sync waits on its platform (which says it is ready)."""
    if not waiting_on_platform(session, shop_id):
        return False
    enqueue(queue, shop_id)
    return True
