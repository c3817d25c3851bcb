"""How Storeflow uses Shopify's ``shopifyapp`` package: the app object, its HTTP client, shop names, time.

``shopifyapp`` (import name ``shopify_app``) talks HTTP through ``httpx``. Callers may hand in an
``httpx.Client`` (tests use respx; a worker can share one); otherwise ``http_client_scope`` opens one
with Storeflow's timeouts and closes it afterwards.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import httpx
from shopify_app import ShopifyApp

from app.core.clock import Clock, utcnow
from app.core.config import Config
from app.platforms.shopify.errors import InvalidShopDomainError

SHOP_DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
SHOP_SUFFIX = ".myshopify.com"

# Shopify answers token and GraphQL calls well inside this; the library's own default waits 30 s.
HTTP_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


def shopify_app(config: Config) -> ShopifyApp:
    """Build the library's app object from configuration, honouring the previous secret while rotating."""
    return ShopifyApp(
        config.shopify_api_key,
        config.shopify_api_secret,
        config.shopify_api_secret_old or None,
    )


def new_http_client() -> httpx.Client:
    """Return an httpx client with Storeflow's timeouts for calls to Shopify."""
    return httpx.Client(timeout=HTTP_TIMEOUT)


@contextmanager
def http_client_scope(client: httpx.Client | None) -> Iterator[httpx.Client]:
    """Yield the injected client, or a fresh one that is closed afterwards so sockets do not leak."""
    if client is not None:
        yield client
        return
    with new_http_client() as fresh:
        yield fresh


def normalize_shop_domain(raw: str | None) -> str:
    """Return the lowercased ``*.myshopify.com`` domain, refusing anything else (it becomes a URL host)."""
    domain = (raw or "").strip().lower()
    if not SHOP_DOMAIN_RE.fullmatch(domain):
        raise InvalidShopDomainError(f"not a myshopify.com shop domain: {raw!r}")
    return domain


def shop_name(domain: str) -> str:
    """Return the shop name the library wants (``demo-shop`` for ``demo-shop.myshopify.com``)."""
    return domain.removesuffix(SHOP_SUFFIX)


def wall_now(clock: Clock) -> datetime:
    """Return the wall-clock instant by the app's clock: token expiries are real time, not flow time."""
    return clock.to_real(clock.now())


def rebase_expiry(library_expiry: str | None, now: datetime) -> datetime | None:
    """Re-express an expiry the library stamped with the system clock as an instant on the app's clock.

    The library turns ``expires_in`` into an ISO time using ``datetime.now``; Storeflow's clock may be
    manual (tests) or compressed (demo), so keep the lifetime and anchor it at ``now``. The library
    drops the fraction of a second, so rounding up recovers the whole-second lifetime Shopify sent.
    """
    if not library_expiry:
        return None
    expires = datetime.fromisoformat(library_expiry.replace("Z", "+00:00"))
    lifetime = timedelta(seconds=math.ceil((expires - utcnow()).total_seconds()))
    return now + lifetime
