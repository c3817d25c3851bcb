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
from app.platforms.shopify.errors import ShopifyAuthError
from app.platforms.shopify.graphql import ShopifyAdmin
from app.platforms.shopify.shop_details import set_up_shop
from app.platforms.shopify.tokens import ShopifyTokens
from app.platforms.shopify.web_pixel import needs_pixel_sync, sync_web_pixel

log = logging.getLogger(__name__)

RETRY = Retry(max=3, interval=[30, 120, 600])


def after_shopify_install(shop_id: int) -> None:
    """Set up a fresh Shopify shop: its profile and webhooks, its history sync, its web pixel."""
    services = current_services()
    shop = db.session.get(Shop, shop_id)
    if shop is None or not shop.is_installed:
        log.info("after_install: shop %s is gone or uninstalled; nothing to do", shop_id)
        return
    admin = ShopifyAdmin(shop, ShopifyTokens(db.session(), services), services.config.shopify_api_version)
    set_up_shop(db.session(), admin, services.config)
    request_sync(db.session(), services, shop)  # the shop's past, so win-back and VIP work from day one
    _sync_pixel(admin, services)


def sync_shopify_web_pixel(shop_id: int) -> None:
    """Bring a Shopify shop's web pixel up to date (its settings changed, or it was never made)."""
    services = current_services()
    shop = db.session.get(Shop, shop_id)
    if shop is None or not shop.is_installed:
        return
    admin = ShopifyAdmin(shop, ShopifyTokens(db.session(), services), services.config.shopify_api_version)
    _sync_pixel(admin, services)


def _sync_pixel(admin: ShopifyAdmin, services: Services) -> None:
    try:
        sync_web_pixel(admin, services.config, services.clock.now())
    except ShopifyAuthError as exc:
        # Retrying cannot help until the merchant opens the app again, which reinstalls.
        log.warning("web pixel of %s not synced: %s", admin.shop.domain, exc)
        db.session.rollback()
        return
    db.session.commit()


def queue_shopify_web_pixel_sync(shop: Shop, services: Services) -> bool:
    """Queue ``sync_shopify_web_pixel`` when the shop's pixel is missing or stale; return True if queued."""
    if not shop.is_installed or not needs_pixel_sync(shop, services.config, services.clock.now()):
        return False
    try:
        services.queue.enqueue(
            sync_shopify_web_pixel, shop.id, job_id=f"shopify-web-pixel-{shop.id}", retry=RETRY
        )
    except RedisError as exc:
        log.warning(
            "could not queue the web pixel update of shop %s; tried again next visit: %s", shop.id, exc
        )
        return False
    return True


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
