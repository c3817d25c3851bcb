"""Saleor as the one ``Platform`` of app/shops/platform.py: its traits, and its API behind each call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote, urlsplit

from sqlalchemy.orm import Session

from app.db.models import Shop
from app.discounts.errors import DiscountRefusedError
from app.platforms.collaborators import PlatformServices
from app.platforms.saleor.discounts import SaleorVouchers
from app.platforms.saleor.graphql import SaleorApi
from app.platforms.saleor.history import SaleorHistory
from app.platforms.saleor.installation import PLATFORM
from app.platforms.saleor.live_store import SaleorLiveStore
from app.platforms.saleor.recent_activity import SaleorRecentActivity
from app.platforms.saleor.settings import checkout_url_template
from app.shops.history import HistorySource
from app.shops.platform import DiscountIssuer, LiveStore, RecentActivity

NO_CHECKOUT_URL = "Enter your storefront's checkout URL in Settings, so reminders can link to it."
NO_CARTS = "Saleor keeps carts as checkouts: Abandoned checkout recovery reminds these shoppers."


class SaleorPlatform:
    """Saleor instances: their GraphQL API with the app token, through the SSRF-guarded HTTP session."""

    name = PLATFORM
    label = "Saleor"
    web_pixel = False  # a headless storefront adds our snippet itself
    app_bridge = False  # the dashboard embeds us through its own app SDK (app/static/admin/storeflow.js)
    takes_checkout_url = True  # Saleor hosts no recovery page
    consent_sources = "checkout boxes, customer marketing settings, public metadata"
    embedding_key: str | None = None  # the dashboard hands its token to our page itself

    def __init__(self, services: PlatformServices, queue_webhook_sync: Callable[[Shop], object]) -> None:
        self.services = services
        self.queue_webhook_sync = queue_webhook_sync

    def home_origin(self, domain: str) -> str | None:
        return None  # the domain is the API's URL; storefronts live wherever the merchant put them

    def discount_issuer(self, session: Session, shop: Shop) -> DiscountIssuer:
        if shop.access_token_enc is None:
            raise DiscountRefusedError(f"{shop.domain} has no app token; the merchant must reinstall")
        return SaleorVouchers(self._api(shop, shop.access_token_enc))

    def live_store(self, session: Session, shop: Shop) -> LiveStore | None:
        if shop.access_token_enc is None:
            return None
        return SaleorLiveStore(self._api(shop, shop.access_token_enc))

    def recent_activity(self, session: Session, shop: Shop, now: datetime) -> RecentActivity:
        api = self._api(shop, shop.access_token_enc or "")
        return SaleorRecentActivity(api, self.services.config, now)

    def history(self, session: Session, shop: Shop) -> HistorySource | None:
        if shop.access_token_enc is None:
            return None
        api = self._api(shop, shop.access_token_enc)
        return SaleorHistory(api, self.services.config, self.services.clock)

    def flow_problems(self, shop: Shop, subject: str | None, offers_discount: bool) -> tuple[str, ...]:
        if subject == "checkout" and self.needs_checkout_url(shop):
            return (NO_CHECKOUT_URL,)
        if subject == "cart":
            return (NO_CARTS,)
        return ()

    def needs_checkout_url(self, shop: Shop) -> bool:
        return not checkout_url_template(shop)

    def storefront_problem(self, shop: Shop) -> str | None:
        return None  # a headless storefront includes the snippet itself: nothing of ours to install

    def order_admin_url(self, shop: Shop, order_platform_id: str) -> str | None:
        """The order in the dashboard, which Saleor serves at ``/dashboard/`` beside its API."""
        origin = urlsplit(shop.domain)
        if origin.scheme not in ("http", "https") or not origin.netloc:
            return None
        return f"{origin.scheme}://{origin.netloc}/dashboard/orders/{quote(order_platform_id, safe='')}"

    def admin_visited(self, shop: Shop) -> None:
        """Queue the rewrite of the installation's webhooks when our queries changed since it installed."""
        self.queue_webhook_sync(shop)

    def _api(self, shop: Shop, token_enc: str) -> SaleorApi:
        return SaleorApi(self.services.http, shop.domain, self.services.cipher.decrypt(token_enc))
