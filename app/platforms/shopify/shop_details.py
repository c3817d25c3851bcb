"""What Storeflow copies from a freshly installed Shopify shop: its profile, its numeric id, its webhooks."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from app.core.config import Config
from app.platforms.shopify.errors import ShopifyAuthError
from app.platforms.shopify.graphql import ShopifyAdmin
from app.platforms.shopify.webhook_registration import register_webhooks

log = logging.getLogger(__name__)

SHOP_DETAILS = """
query ShopDetails {
  shop { id name email currencyCode ianaTimezone primaryDomain { url } }
}
"""

WEBHOOK_PATH = "/webhooks/shopify"


def set_up_shop(db_session: Session, admin: ShopifyAdmin, config: Config) -> None:
    """Fill in the shop's name, email, currency, time zone and storefront, then register webhooks.

    The install queues it (app/jobs/installs.py); a shop that lost its access is left as it is.
    """
    try:
        sync_shop_details(db_session, admin)
        if config.shopify_register_webhooks:
            register_webhooks(admin, config.app_url + WEBHOOK_PATH)
    except ShopifyAuthError as exc:
        # Retrying cannot help until the merchant opens the app again, which reinstalls.
        log.warning("after_install for %s stopped: %s", admin.shop.domain, exc)


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
