"""The history sync's RQ job: run or resume one shop's sync (queued by app/jobs/history_queue.py).

A run reads until its platform asks it to wait (a bulk operation is still running), then ends:
a worker is never held by a wait. A Redis lock keeps one run per shop however many ask at once.
"""

from __future__ import annotations

from collections.abc import Callable

from app.db import db
from app.db.models import Shop
from app.jobs.platforms import platforms_of
from app.jobs.services import current_services
from app.sync.runner import STALE_RUN, HistorySync, SyncRun
from app.sync.state import Progress, give_up

LOCK_KEY = "storeflow:history-sync:{shop_id}"
LOCK_SECONDS = int(STALE_RUN.total_seconds())
NO_TOKEN = "Storeflow holds no access token for this shop: open it from your store's admin again."


def run_history_sync(shop_id: int, on_page: Callable[[Progress], None] | None = None) -> str:
    """Run (or resume) one shop's history sync until it is done or must wait; say how it ended."""
    services = current_services()
    shop = db.session.get(Shop, shop_id)
    if shop is None or not shop.is_installed:
        return "not installed"
    source = platforms_of(services).of(shop).history(db.session(), shop)
    if source is None:
        give_up(db.session(), shop_id, services.clock.now(), NO_TOKEN)
        db.session.commit()
        return "no token"
    lock = LOCK_KEY.format(shop_id=shop_id)
    if not services.redis.set(lock, "1", nx=True, ex=LOCK_SECONDS):
        return "already running"

    def page_stored(progress: Progress) -> None:
        services.redis.expire(lock, LOCK_SECONDS)
        if on_page is not None:
            on_page(progress)

    try:
        run = HistorySync(
            db.session(), services.clock, db.session.commit, db.session.rollback, page_stored
        ).run(shop_id, source)
    finally:
        services.redis.delete(lock)
    return _outcome(run)


def _outcome(run: SyncRun) -> str:
    if run.finished:
        return "done"
    return f"waiting {run.retry_after or 0:.0f}s for the platform"
