"""Shopify as the one ``Platform`` of app/shops/platform.py: its traits, and its API behind each call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

from sqlalchemy.orm import Session

from app.db.models import Shop
from app.platforms.collaborators import PlatformServices
from app.platforms.shopify.discounts import ShopifyDiscounts
from app.platforms.shopify.graphql import ShopifyAdmin
from app.platforms.shopify.history import ShopifyHistory
from app.platforms.shopify.installation import PLATFORM
from app.platforms.shopify.live_store import ShopifyLiveStore
from app.platforms.shopify.recent_activity import ShopifyRecentActivity
from app.platforms.shopify.tokens import ShopifyTokens
from app.platforms.shopify.web_pixel import pixel_problem
from app.shops.history import HistorySource
from app.shops.platform import DiscountIssuer, LiveStore, RecentActivity

NO_DISCOUNT_SCOPE = "Open Storeflow from your Shopify admin to grant it discounts, or turn the discount off."


class ShopifyPlatform:
    """Shopify shops: the GraphQL Admin API with each shop's offline token, refreshed when due."""

    name = PLATFORM
    label = "Shopify"
    web_pixel = True
    app_bridge = True
    takes_checkout_url = False  # Shopify hosts the recovery page itself
    consent_sources = "checkout boxes, customer marketing settings"

    def __init__(self, services: PlatformServices, queue_pixel_sync: Callable[[Shop], object]) -> None:
        self.services = services
        self.queue_pixel_sync = queue_pixel_sync
        self.embedding_key: str | None = services.config.shopify_api_key

    def home_origin(self, domain: str) -> str | None:
        return f"https://{domain}"  # the myshopify.com domain serves the storefront too

    def discount_issuer(self, session: Session, shop: Shop) -> DiscountIssuer:
        return ShopifyDiscounts(self._admin(session, shop))

    def live_store(self, session: Session, shop: Shop) -> LiveStore | None:
        if shop.access_token_enc is None:
            return None
        return ShopifyLiveStore(self._admin(session, shop))

    def recent_activity(self, session: Session, shop: Shop, now: datetime) -> RecentActivity:
        return ShopifyRecentActivity(self._admin(session, shop))

    def history(self, session: Session, shop: Shop) -> HistorySource | None:
        if shop.access_token_enc is None:
            return None
        return ShopifyHistory(self._admin(session, shop), shop, self.services.clock)

    def flow_problems(self, shop: Shop, subject: str | None, offers_discount: bool) -> tuple[str, ...]:
        if offers_discount and shop.scopes and "write_discounts" not in shop.scopes:
            return (NO_DISCOUNT_SCOPE,)
        return ()

    def needs_checkout_url(self, shop: Shop) -> bool:
        return False

    def storefront_problem(self, shop: Shop) -> str | None:
        return pixel_problem(shop)

    def order_admin_url(self, shop: Shop, order_platform_id: str) -> str | None:
        """The order in the Shopify admin (``/admin/orders/<id>`` on the shop's domain redirects there)."""
        numeric = order_platform_id.rpartition("/")[2]  # a GraphQL gid ends in the numeric id
        return f"https://{shop.domain}/admin/orders/{quote(numeric, safe='')}" if numeric.isdigit() else None

    def admin_visited(self, shop: Shop) -> None:
        """Queue the web pixel's update when it is missing or its settings changed (APP_URL, the key).

        The webhook topics need nothing: Shopify reads them from the app's configuration.
        """
        self.queue_pixel_sync(shop)

    def _admin(self, session: Session, shop: Shop) -> ShopifyAdmin:
        tokens = ShopifyTokens(session, self.services)
        return ShopifyAdmin(shop, tokens, self.services.config.shopify_api_version)
