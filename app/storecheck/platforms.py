"""Pick the live store for a shop's platform, with the shop's own API credentials (as app/discounts/)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.core.clock import Clock
from app.db import db
from app.db.models import Shop
from app.jobs.services import current_services
from app.storecheck.cache import LiveCache
from app.storecheck.check import StoreCheck
from app.storecheck.facts import LiveStore


def live_store_for(shop: Shop) -> LiveStore | None:
    """Return what answers for this shop's store, or None when it holds no API token to ask with."""
    services = current_services()
    if shop.access_token_enc is None:
        return None
    if shop.platform == "shopify":
        from app.platforms.shopify.graphql import ShopifyAdmin
        from app.platforms.shopify.tokens import ShopifyTokens
        from app.storecheck.shopify import ShopifyLiveStore

        tokens = ShopifyTokens(db.session(), services)
        return ShopifyLiveStore(ShopifyAdmin(shop, tokens, services.config.shopify_api_version))
    if shop.platform == "saleor":
        from app.platforms.saleor.graphql import SaleorApi
        from app.storecheck.saleor import SaleorLiveStore

        token = services.cipher.decrypt(shop.access_token_enc)
        return SaleorLiveStore(SaleorApi(services.http, shop.domain, token))
    return None


def store_check(session: Session, clock: Clock, shop: Shop) -> StoreCheck:
    """Build the send-time check for one shop: its live store and the shared one-minute cache."""
    return StoreCheck(session, clock, live_store_for(shop), LiveCache(current_services().redis))
