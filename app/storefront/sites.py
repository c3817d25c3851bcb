"""Find the shop a storefront key names, with its origins, quickly: a short per-process cache."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine

from app.db.models import Shop
from app.shops.platform import PlatformDirectory
from app.storefront.logins import SignedLogin
from app.storefront.origins import allowed_origins


@dataclass(frozen=True)
class Site:
    """What the events endpoint needs to know about a shop."""

    shop_id: int
    platform: str
    installed: bool
    origins: frozenset[str]
    web_pixel: bool  # its platform's sandboxed pixel posts from an opaque origin (Shopify's)


class SiteDirectory:
    """Cache storefront key (or signed shop domain) → site for ``ttl`` seconds, unknown ones included
    (a flood of bad keys costs one query per key per ``ttl``). A changed storefront URL or origin list
    applies within it."""

    def __init__(self, platforms: PlatformDirectory, ttl: float = 30.0, max_entries: int = 10_000) -> None:
        self.platforms = platforms
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Site | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, engine: Engine, key: str) -> Site | None:
        """Return the site for a storefront key, or None when no shop has it."""
        return self._cached(engine, key, storefront_key=key)

    def by_domain(self, engine: Engine, login: SignedLogin) -> Site | None:
        """Return the site of the shop a platform's signature names, or None when no shop is it."""
        # Storefront keys are url-safe base64, never holding a space: the two kinds of entry cannot meet.
        entry = f"{login.platform} {login.shop_domain}"
        return self._cached(engine, entry, platform=login.platform, domain=login.shop_domain)

    def _cached(self, engine: Engine, entry: str, **columns: str) -> Site | None:
        """Return the cached site of the shop whose ``columns`` hold these values, asking when stale."""
        now = time.monotonic()
        cached = self._entries.get(entry)
        if cached is not None and cached[0] > now:
            return cached[1]
        with engine.connect() as conn:
            row = conn.execute(
                select(
                    Shop.id,
                    Shop.platform,
                    Shop.domain,
                    Shop.storefront_url,
                    Shop.settings,
                    Shop.installed_at,
                    Shop.uninstalled_at,
                ).filter_by(**columns)
            ).first()
        site = None
        if row is not None:
            platform = self.platforms.named(row.platform)
            site = Site(
                shop_id=row.id,
                platform=row.platform,
                installed=row.installed_at is not None and row.uninstalled_at is None,
                origins=allowed_origins(platform, row.domain, row.storefront_url, row.settings),
                web_pixel=platform.web_pixel,
            )
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[entry] = (now + self.ttl, site)
        return site

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
