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
import re
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

# Where Shopify forwards the storefront's ``/apps/storeflow/…`` (``[app_proxy] url`` in
# shopify.app.toml names ``APP_URL/shopify/proxy``), and where under it storefront events arrive.
PROXY_ROOT = "/shopify/proxy"
APP_PROXY_PATH = f"{PROXY_ROOT}/events"
# The storefront path the toml's [app_proxy] gives (prefix/subpath); a merchant may rename it, and
# Shopify then names the new one in each request's signed ``path_prefix``.
DEFAULT_PATH_PREFIX = "/apps/storeflow"
PATH_PREFIX = re.compile(r"/(?:apps|a|community|tools)/[A-Za-z0-9_-]{1,64}")


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


def signed_path_prefix(url: str) -> str:
    """Return the storefront path the proxy is reached at, from a request already verified as signed."""
    prefix = (parse_qs(urlsplit(url).query).get("path_prefix") or [""])[0]
    return prefix if PATH_PREFIX.fullmatch(prefix) else DEFAULT_PATH_PREFIX


def signed_query(params: Mapping[str, str], secret: str) -> str:
    """Return the query string Shopify's app proxy would send with these parameters (tests, the demo)."""
    message = "".join(f"{key}={value}" for key, value in sorted(params.items()))
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return urlencode({**params, "signature": signature})
