"""What Storeflow copies from a freshly installed Shopify shop: its profile, its numeric id, its webhooks."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from app.core.config import Config
from app.core.locales import normal_locale
from app.messaging.languages import LOCALE_CHOSEN_KEY, SHOP_LOCALE_KEY
from app.platforms.shopify.errors import ShopifyApiError, ShopifyAuthError
from app.platforms.shopify.graphql import ShopifyAdmin
from app.platforms.shopify.webhook_registration import register_webhooks

log = logging.getLogger(__name__)

SHOP_DETAILS = """
query ShopDetails {
  shop { id name email currencyCode ianaTimezone primaryDomain { url } }
}
"""

# Its own query: a shop installed before ``read_locales`` was asked for refuses it, and the rest of
# its profile still comes through.
SHOP_LOCALES = "query ShopLocales { shopLocales(published: true) { locale primary } }"

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
    """Copy the shop's profile from the Admin API, so messages carry its name, currency, zone and language.

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
    sync_shop_language(admin)
    db_session.commit()


def sync_shop_language(admin: ShopifyAdmin) -> None:
    """Keep the shop's primary published locale as its language (``Shop.settings["locale"]``).

    Shoppers whose own language has no translation get their messages in it
    (app/messaging/languages.py). A merchant's own choice in Settings stays; a shop that has not
    granted ``read_locales`` keeps what it had.
    """
    shop = admin.shop
    settings = dict(shop.settings or {})
    if settings.get(LOCALE_CHOSEN_KEY):
        return
    try:
        locales = admin.execute(SHOP_LOCALES).get("shopLocales") or []
    except ShopifyApiError as exc:
        log.info("%s: shop locales not read (%s)", shop.domain, exc)
        return
    primary = next(
        (normal_locale(row.get("locale")) for row in locales if isinstance(row, dict) and row.get("primary")),
        None,
    )
    if primary:
        shop.settings = {**settings, SHOP_LOCALE_KEY: primary}


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
