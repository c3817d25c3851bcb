"""Verify requests Shopify forwards through the app proxy: the one storefront proof of who is logged in.

Shopify forwards ``https://{shop}/apps/<prefix>/…`` to the app's proxy URL, adding ``shop``,
``logged_in_customer_id`` (empty for a guest), ``path_prefix``, ``timestamp`` and ``signature``: the
hex HMAC-SHA256, with the app's secret, of the other parameters sorted by key, each written
``key=value`` (repeated values joined by commas) and concatenated with no separator. Shopify sets
the customer id from the shopper's own storefront session, so unlike a ``customer_id`` a page
posts it proves who is logged in. Unverified proxy parameters are a "High" finding in Shopify's
app security checks. ``shopifyapp`` checks the signature (current and previous secret) and that
the timestamp is within 90 s of now; we add that ``shop`` is one myshopify.com domain.
https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from urllib.parse import parse_qs, urlencode, urlsplit

from shopify_app.types import RequestInput

from app.core.config import Config
from app.platforms.shopify.errors import InvalidShopDomainError
from app.platforms.shopify.installation import PLATFORM
from app.platforms.shopify.sdk import normalize_shop_domain, shopify_app
from app.storefront.errors import UnsignedLoginError
from app.storefront.logins import SignedLogin

log = logging.getLogger(__name__)

# Where Storeflow takes storefront events forwarded by the app proxy (``[app_proxy] url`` in
# shopify.app.toml names ``APP_URL/shopify/proxy``; the storefront posts to ``/apps/<prefix>/events``).
APP_PROXY_PATH = "/shopify/proxy/events"


class AppProxyVerifier:
    """Turn a forwarded request's URL into what Shopify signed about it, or raise UnsignedLoginError."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def __call__(self, url: str) -> SignedLogin:
        if not self.config.shopify_api_secret:  # an empty key would accept anyone's HMAC made with it
            raise UnsignedLoginError("no Shopify app secret is configured to check the app proxy with")
        request = RequestInput(method="POST", headers={}, url=url, body="")
        result = shopify_app(self.config).verify_app_proxy_req(request)
        if not result.ok:
            log.info("app proxy request refused (%s): %s", result.log.code, result.log.detail)
            raise UnsignedLoginError(f"not signed by Shopify's app proxy ({result.log.code})")
        try:
            shop_domain = normalize_shop_domain(parse_qs(urlsplit(url).query)["shop"][0])
        except (KeyError, InvalidShopDomainError):
            raise UnsignedLoginError("the app proxy request names no myshopify.com shop") from None
        return SignedLogin(PLATFORM, shop_domain, result.logged_in_customer_id or None)


def signed_query(params: Mapping[str, str], secret: str) -> str:
    """Return the query string Shopify's app proxy would send with these parameters (tests, the demo)."""
    message = "".join(f"{key}={value}" for key, value in sorted(params.items()))
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return urlencode({**params, "signature": signature})
