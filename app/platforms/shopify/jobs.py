"""RQ jobs of the Shopify install side; they run inside an app context (see app.jobs.worker)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from app.db import db
from app.db.models import Shop
from app.jobs.services import current_services
from app.platforms.shopify.errors import ShopifyAuthError
from app.platforms.shopify.graphql import ShopifyAdmin
from app.platforms.shopify.tokens import ShopifyTokens
from app.platforms.shopify.webhook_registration import register_webhooks

log = logging.getLogger(__name__)

SHOP_DETAILS = """
query ShopDetails {
  shop { id name email currencyCode ianaTimezone primaryDomain { url } }
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


SHOP_ID = "query ShopId { shop { id } }"


def sync_shop_details(db_session: Session, admin: ShopifyAdmin) -> None:
    """Copy the shop's profile from the Admin API, so messages carry its name, currency and zone.

    Its numeric id is kept too: compliance and uninstall bodies name the shop by it, and Shopify
    signs the body, not the shop header (webhooks/shopify/binding.py).
    """
    details = admin.execute(SHOP_DETAILS).get("shop") or {}
    shop = admin.shop
    shop.platform_shop_id = numeric_id(details.get("id")) or shop.platform_shop_id
    shop.name = details.get("name") or shop.name
    shop.email = details.get("email") or shop.email
    shop.currency = details.get("currencyCode") or shop.currency
    shop.timezone = details.get("ianaTimezone") or shop.timezone
    shop.storefront_url = (details.get("primaryDomain") or {}).get("url") or shop.storefront_url
    db_session.commit()


def learn_shop_id(admin: ShopifyAdmin) -> None:
    """Fill in the numeric id of a shop installed before ids were kept (one small query, once).

    The caller commits (reconciliation does, with the rest of its run).
    """
    if admin.shop.platform_shop_id is None:
        admin.shop.platform_shop_id = numeric_id((admin.execute(SHOP_ID).get("shop") or {}).get("id"))


def numeric_id(gid: object) -> str | None:
    """Return the number of ``gid://shopify/Shop/<number>``, or None for anything else."""
    if not isinstance(gid, str) or not gid.startswith("gid://shopify/Shop/"):
        return None
    number = gid.rsplit("/", 1)[1]
    return str(int(number)) if number.isdigit() else None
