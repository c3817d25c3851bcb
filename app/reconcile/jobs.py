"""Reconciliation as RQ jobs, started every ``INTERVAL`` by whichever worker's relay loop gets there first."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis import Redis
from rq import Queue
from sqlalchemy import select

from app.db import db
from app.db.models import Shop
from app.jobs.services import Services, current_services
from app.platforms.saleor.errors import SaleorApiError
from app.platforms.saleor.graphql import SaleorApi
from app.platforms.shopify.errors import ShopifyAuthError
from app.platforms.shopify.graphql import ShopifyAdmin
from app.platforms.shopify.tokens import ShopifyTokens
from app.reconcile.core import Reconciler, Report, Source
from app.reconcile.saleor import SaleorSource
from app.reconcile.shopify import ShopifySource

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
    try:
        report = Reconciler(db.session(), now).run(shop, source_for(shop, services, now))
    except ShopifyAuthError as exc:
        log.info("reconciliation of shop %s skipped: %s", shop_id, exc)
        return "no access"
    except SaleorApiError as exc:
        if exc.transient:
            raise
        log.warning("reconciliation of shop %s refused by Saleor: %s", shop_id, exc)
        return "refused"
    return _summary(report)


def source_for(shop: Shop, services: Services, now: datetime) -> Source:
    """Return the platform source that reads this shop's recent checkouts and orders."""
    if shop.platform == "saleor":
        token = services.cipher.decrypt(shop.access_token_enc or "")
        return SaleorSource(SaleorApi(services.http, shop.domain, token), services.config, now)
    tokens = ShopifyTokens(db.session(), services)
    return ShopifySource(ShopifyAdmin(shop, tokens, services.config.shopify_api_version))


def _summary(report: Report) -> str:
    return f"{report.checkouts_seen} checkouts and {report.orders_seen} orders seen, {report.stored} missed"
