"""Shopify-managed install for the embedded app: swap the session token for an offline access token.

With managed install Shopify grants the scopes from ``shopify.app.toml`` before the app first loads;
the app's first request carries a session token, which token exchange turns into expiring offline
tokens. Until then (and after uninstall, or once the refresh token lapses) the shop is not usable.
https://shopify.dev/docs/apps/build/authentication-authorization/get-access-tokens/exchange-tokens
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
from sqlalchemy.orm import Session

from app.db.models import Shop
from app.platforms.collaborators import PlatformServices
from app.platforms.shopify.errors import SessionTokenError, ShopifyApiError
from app.platforms.shopify.installation import find_shop, install_shop
from app.platforms.shopify.sdk import http_client_scope, rebase_expiry, shopify_app, wall_now
from app.platforms.shopify.session_tokens import SessionToken
from app.platforms.shopify.tokens import has_usable_token

log = logging.getLogger(__name__)


def ensure_installed(
    session_token: SessionToken,
    db_session: Session,
    services: PlatformServices,
    set_up: Callable[[int], None],
    http_client: httpx.Client | None = None,
) -> Shop:
    """Return the token's shop, exchanging the token for offline tokens first if it has none usable.

    A fresh install is handed to ``set_up`` (app/platforms/shopify/installation.py).
    """
    now = wall_now(services.clock)
    shop = find_shop(db_session, session_token.shop_domain)
    if shop is not None and has_usable_token(shop, now):
        return shop
    with http_client_scope(http_client) as client:
        result = shopify_app(services.config).exchange_using_token_exchange(
            "offline",
            id_token=session_token.id_token,
            invalid_token_response=session_token.invalid_token_response,
            expiring=True,
            http_client=client,
        )
    granted = result.access_token
    if not result.ok or granted is None:
        log.warning(
            "token exchange for %s failed (%s): %s",
            session_token.shop_domain,
            result.log.code,
            result.log.detail,
        )
        if result.log.code == "invalid_subject_token":
            raise SessionTokenError(result.log.code, result.response.status, result.response.headers)
        raise ShopifyApiError(f"token exchange failed ({result.log.code})", result.response.status)
    return install_shop(
        db_session,
        services,
        session_token.shop_domain,
        access_token=granted.token,
        scope=granted.scope,
        expires_at=rebase_expiry(granted.expires, now),
        refresh_token=granted.refresh_token,
        refresh_token_expires_at=rebase_expiry(granted.refresh_token_expires, now),
        set_up=set_up,
    )
