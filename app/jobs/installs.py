"""RQ jobs of the platforms' install side, and the queueing of them; they run inside an app context.

The work itself lives with each platform (app/platforms/shopify/shop_details.py,
app/platforms/saleor/webhook_sync.py); these entry points only hand it the services of the app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from redis.exceptions import RedisError
from rq import Retry

from app.db import db
from app.db.models import Shop
from app.jobs.history_queue import request_sync
from app.jobs.services import Services, current_services
from app.platforms.saleor.webhook_sync import is_stale, sync_webhooks
from app.platforms.shopify.graphql import ShopifyAdmin
from app.platforms.shopify.shop_details import set_up_shop
from app.platforms.shopify.tokens import ShopifyTokens

log = logging.getLogger(__name__)

RETRY = Retry(max=3, interval=[30, 120, 600])


def after_shopify_install(shop_id: int) -> None:
    """Fill in a fresh Shopify shop's profile and register its webhooks."""
    services = current_services()
    shop = db.session.get(Shop, shop_id)
    if shop is None or not shop.is_installed:
        log.info("after_install: shop %s is gone or uninstalled; nothing to do", shop_id)
        return
    admin = ShopifyAdmin(shop, ShopifyTokens(db.session(), services), services.config.shopify_api_version)
    set_up_shop(db.session(), admin, services.config)
    request_sync(db.session(), services, shop)  # the shop's past, so win-back and VIP work from day one


def shopify_set_up(services: Services) -> Callable[[int], None]:
    """Return what an install calls with the shop's id: queue ``after_shopify_install``."""

    def queue(shop_id: int) -> None:
        # The install itself must not fail when Redis does.
        try:
            services.queue.enqueue(after_shopify_install, shop_id, retry=RETRY)
        except RedisError as exc:
            log.warning(
                "could not queue after_install for shop %s; details and webhooks wait for the next "
                "install: %s",
                shop_id,
                exc,
            )

    return queue


def sync_saleor_webhooks(shop_id: int) -> str:
    """Rewrite a Saleor installation's webhooks with the current queries."""
    return sync_webhooks(db.session(), current_services(), shop_id)


def queue_saleor_webhook_sync(shop: Shop, services: Services) -> bool:
    """Queue ``sync_saleor_webhooks`` for a stale installation; return True if queued."""
    if not shop.is_installed or not is_stale(shop, services.config):
        return False
    try:
        services.queue.enqueue(
            sync_saleor_webhooks, shop.id, job_id=f"saleor-sync-webhooks-{shop.id}", retry=RETRY
        )
    except RedisError as exc:
        log.warning(
            "could not queue the webhook update of shop %s; it is tried again next time: %s", shop.id, exc
        )
        return False
    return True
