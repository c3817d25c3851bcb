"""What a platform signs about a storefront request, the one storefront proof of who is logged in.

A platform's verifier (Shopify's app proxy: app/platforms/shopify/app_proxy.py) turns a forwarded
request into a ``SignedLogin``; the receiver (app/web/storefront/receiver.py) trusts nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SignedLogin:
    """What a platform signed about a storefront request: its shop, and who is logged in (None: a guest)."""

    platform: str
    shop_domain: str
    customer_id: str | None


# Checks a forwarded request's URL and returns what the platform signed, or raises UnsignedLoginError.
LoginVerifier = Callable[[str], SignedLogin]
