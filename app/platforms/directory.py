"""The platforms one app instance serves, by name: the ``PlatformDirectory`` the edge hands to the domain."""

from __future__ import annotations

from collections.abc import Iterable

from app.db.models import Shop
from app.shops.platform import Platform, UnknownPlatformError


class Platforms:
    def __init__(self, platforms: Iterable[Platform]) -> None:
        self._by_name = {platform.name: platform for platform in platforms}

    def named(self, name: str) -> Platform:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownPlatformError(f"no platform {name!r}") from None

    def of(self, shop: Shop) -> Platform:
        return self.named(shop.platform)
