"""Build the platforms for a view or job from the app's services: the registry the domain is handed."""

from __future__ import annotations

from app.jobs.installs import queue_saleor_webhook_sync, queue_shopify_web_pixel_sync
from app.jobs.services import Services
from app.platforms.directory import Platforms
from app.platforms.saleor.platform import SaleorPlatform
from app.platforms.shopify.platform import ShopifyPlatform


def platforms_of(services: Services) -> Platforms:
    """Return Shopify and Saleor, calling out with these services (cheap: nothing connects yet)."""
    return Platforms(
        (
            ShopifyPlatform(services, lambda shop: queue_shopify_web_pixel_sync(shop, services)),
            SaleorPlatform(services, lambda shop: queue_saleor_webhook_sync(shop, services)),
        )
    )
