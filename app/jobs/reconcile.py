"""Reconciliation as RQ jobs, started every ``INTERVAL`` by whichever worker's relay loop gets there first."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis import Redis
from rq import Queue
from sqlalchemy import select

from app.db import db
from app.db.models import Shop
from app.jobs.platforms import platforms_of
from app.jobs.services import current_services
from app.reconcile.core import Reconciler, Report
from app.reconcile.errors import ReconcileNoAccessError, ReconcileRefusedError

log = logging.getLogger(__name__)

INTERVAL = timedelta(minutes=15)
LOCK_KEY = "storeflow:reconcile:slot"


def start_if_due(redis: Redis, queue: Queue, now: datetime) -> bool:
    """Enqueue one reconciliation of every shop per ``INTERVAL``, however many workers ask."""
    slot = int(now.timestamp() // INTERVAL.total_seconds())
    if not redis.set(f"{LOCK_KEY}:{slot}", "1", nx=True, ex=int(INTERVAL.total_seconds() * 2)):
        return False
    queue.enqueue(reconcile_all, job_id=f"reconcile-{slot}")
    return True


def reconcile_all() -> int:
    """Enqueue one job per installed shop, so one slow or failing platform holds up no other."""
    services = current_services()
    ids = list(
        db.session.scalars(
            select(Shop.id).where(Shop.installed_at.is_not(None), Shop.uninstalled_at.is_(None))
        )
    )
    for shop_id in ids:
        services.queue.enqueue(reconcile_shop, shop_id)
    return len(ids)


def reconcile_shop(shop_id: int) -> str:
    """Reconcile one shop; a transient API failure fails the job, and the next slot tries again."""
    services = current_services()
    shop = db.session.get(Shop, shop_id)
    if shop is None or not shop.is_installed or shop.access_token_enc is None:
        return "not installed"
    now = services.clock.now()
    platform = platforms_of(services).of(shop)
    try:
        report = Reconciler(db.session(), now).run(shop, platform.recent_activity(db.session(), shop, now))
        db.session.commit()
    except ReconcileNoAccessError as exc:
        log.info("reconciliation of shop %s skipped: %s", shop_id, exc)
        return "no access"
    except ReconcileRefusedError as exc:
        log.warning("reconciliation of shop %s refused by %s: %s", shop_id, platform.label, exc)
        return "refused"
    return _summary(report)


def _summary(report: Report) -> str:
    return f"{report.checkouts_seen} checkouts and {report.orders_seen} orders seen, {report.stored} missed"
