"""The platform of a shop, for a view: built from the services of the app in context."""

from __future__ import annotations

from app.db.models import Shop
from app.jobs.platforms import platforms_of
from app.jobs.services import current_services
from app.shops.platform import Platform


def platform_of(shop: Shop) -> Platform:
    """Return the shop's platform (app/shops/platform.py), calling out with this app's services."""
    return platforms_of(current_services()).of(shop)
