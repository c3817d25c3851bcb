"""RQ jobs of the Shopify install side; they run inside an app context (see app.jobs.worker)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Shop
from app.services import current_services
from app.shopify.errors import ShopifyAuthError
from app.shopify.graphql import ShopifyAdmin
from app.shopify.tokens import ShopifyTokens
from app.shopify.webhook_registration import register_webhooks

log = logging.getLogger(__name__)

SHOP_DETAILS = """
query ShopDetails {
  shop { name email currencyCode ianaTimezone primaryDomain { url } }
}
"""

WEBHOOK_PATH = "/webhooks/shopify"


def after_install(shop_id: int) -> None:
    """Fill in the shop's name, email, currency, time zone and storefront, then register webhooks."""
    services = current_services()
    shop = db.session.get(Shop, shop_id)
    if shop is None or not shop.is_installed:
        log.info("after_install: shop %s is gone or uninstalled; nothing to do", shop_id)
        return
    admin = ShopifyAdmin(shop, ShopifyTokens(db.session(), services), services.config.shopify_api_version)
    try:
        sync_shop_details(db.session(), admin)
        if services.config.shopify_register_webhooks:
            register_webhooks(admin, services.config.app_url + WEBHOOK_PATH)
    except ShopifyAuthError as exc:
        # Retrying cannot help until the merchant opens the app again, which reinstalls.
        log.warning("after_install for %s stopped: %s", shop.domain, exc)


def sync_shop_details(db_session: Session, admin: ShopifyAdmin) -> None:
    """Copy the shop's profile from the Admin API, so messages carry its name, currency and zone."""
    details = admin.execute(SHOP_DETAILS).get("shop") or {}
    shop = admin.shop
    shop.name = details.get("name") or shop.name
    shop.email = details.get("email") or shop.email
    shop.currency = details.get("currencyCode") or shop.currency
    shop.timezone = details.get("ianaTimezone") or shop.timezone
    shop.storefront_url = (details.get("primaryDomain") or {}).get("url") or shop.storefront_url
    db_session.commit()
