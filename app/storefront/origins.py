"""Which web origins are a shop's own storefronts: the only pages whose events we accept."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from app.shops.platform import Platform

# Shop.settings key: extra storefront origins a merchant lists (a second domain, a headless front).
SETTINGS_KEY = "storefront_origins"


def origin_of(url: str | None) -> str | None:
    """Return ``scheme://host[:port]`` of an http(s) URL in lower case, or None for anything else."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def allowed_origins(
    platform: Platform, domain: str, storefront_url: str | None, settings: Mapping[str, Any] | None
) -> frozenset[str]:
    """Collect the shop's storefront origins: its storefront URL, its platform's (Shopify's
    myshopify.com), and its list."""
    candidates: list[str | None] = [storefront_url, platform.home_origin(domain)]
    listed = (settings or {}).get(SETTINGS_KEY)
    if isinstance(listed, list):
        candidates.extend(item for item in listed if isinstance(item, str))
    return frozenset(_origins(candidates))


def _origins(urls: Iterable[str | None]) -> Iterable[str]:
    for url in urls:
        origin = origin_of(url)
        if origin is not None:
            yield origin
