"""Verify App Bridge session tokens (ID tokens) on requests from the embedded app.

The token is an HS256 JWT signed with the client secret, about a minute long; ``shopifyapp`` checks
the signature (current and previous secret), ``exp``/``nbf`` with 10 s leeway and ``aud``. We add
what the library leaves out: ``dest`` must be a myshopify.com shop, ``iss`` must be that shop's
admin, and ``exp`` must be present (PyJWT accepts a token without one as never expiring).
https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from shopify_app import IdTokenDetails, Res

from app.core.config import Config
from app.platforms.shopify.errors import InvalidShopDomainError, SessionTokenError
from app.platforms.shopify.sdk import normalize_shop_domain, shopify_app

log = logging.getLogger(__name__)

# Document requests without a token are sent here; App Bridge fetches one and reloads the page.
PATCH_ID_TOKEN_PATH = "/shopify/patch-id-token"
SHOPIFY_ADMIN = "https://admin.shopify.com"


@dataclass(frozen=True)
class SessionToken:
    """A verified session token: which shop and user it speaks for, and the token to exchange."""

    shop_domain: str
    id_token: IdTokenDetails
    user_id: str | None
    # What to answer if Shopify later rejects this token during token exchange.
    invalid_token_response: Res | None = None
    # Headers a page served inside the admin must carry (CSP frame-ancestors, App Bridge preload).
    response_headers: dict[str, str] = field(default_factory=dict)


def verify_session_token(method: str, url: str, headers: Mapping[str, str], config: Config) -> SessionToken:
    """Return the verified token of a request (``Authorization: Bearer`` or ``id_token`` query)."""
    result = shopify_app(config).verify_app_home_req(
        {"method": method, "headers": dict(headers), "url": url, "body": ""},
        app_home_patch_id_token_path=PATCH_ID_TOKEN_PATH,
    )
    if not result.ok or result.id_token is None:
        log.info("session token refused (%s): %s", result.log.code, result.log.detail)
        raise SessionTokenError(result.log.code, result.response.status, result.response.headers)
    claims = result.id_token.claims
    dest_host = _host(claims.get("dest"))
    try:
        shop_domain = normalize_shop_domain(dest_host)
    except InvalidShopDomainError:
        log.warning("session token refused: dest %r is not a myshopify.com shop", claims.get("dest"))
        raise SessionTokenError("dest is not a myshopify.com shop") from None
    if _host(claims.get("iss")) != dest_host:
        log.warning("session token refused: iss %r does not match dest %r", claims.get("iss"), dest_host)
        raise SessionTokenError("iss does not match dest")
    if "exp" not in claims:
        log.warning("session token refused: no exp claim")
        raise SessionTokenError("token has no exp claim")
    return SessionToken(
        shop_domain,
        result.id_token,
        result.user_id,
        result.invalid_token_response,
        dict(result.response.headers),
    )


def frame_ancestors(shop_domain: str) -> tuple[str, str]:
    """Who may frame a page of the embedded app: the shop itself and the Shopify admin, nobody else.

    https://shopify.dev/docs/apps/build/security/set-up-iframe-protection
    """
    return f"https://{shop_domain}", SHOPIFY_ADMIN


def _host(value: object) -> str:
    """Return the host of a URL claim (``https://x.myshopify.com/admin`` → ``x.myshopify.com``)."""
    if not isinstance(value, str):
        return ""
    return (urlparse(value).hostname or "").lower()
