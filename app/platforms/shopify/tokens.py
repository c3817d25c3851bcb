"""Hand out a shop's offline access token, refreshing it before it expires.

Public apps created since 2026-04-01 get expiring offline tokens: the access token lives about an
hour, and each refresh returns a new refresh token (the old one is spent). Two workers refreshing at
once would spend the same refresh token twice, so a refresh holds the shop row's lock.
https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import httpx
from shopify_app import ShopifyApp
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Shop
from app.platforms.collaborators import PlatformServices
from app.platforms.shopify.errors import ShopifyApiError, ShopifyAuthError
from app.platforms.shopify.sdk import http_client_scope, rebase_expiry, shop_name, shopify_app, wall_now

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)


def has_usable_token(shop: Shop, now: datetime) -> bool:
    """Tell whether API calls for the shop can go ahead without the merchant re-authorizing."""
    if not shop.is_installed or shop.access_token_enc is None:
        return False
    if shop.refresh_token_enc is None:
        return shop.access_token_expires_at is None or shop.access_token_expires_at > now
    return shop.refresh_token_expires_at is None or shop.refresh_token_expires_at > now


class ShopifyTokens:
    """Decrypt, and when due refresh, the offline access token of a shop."""

    def __init__(
        self, db_session: Session, services: PlatformServices, http_client: httpx.Client | None = None
    ) -> None:
        self.db_session = db_session
        self.services = services
        self.http_client = http_client
        self.app: ShopifyApp = shopify_app(services.config)

    def access_token(self, shop: Shop) -> str:
        """Return a token valid for at least a few minutes, refreshing (and committing) when needed."""
        if not shop.is_installed or shop.access_token_enc is None:
            raise ShopifyAuthError(f"{shop.domain} has no access token; the merchant must open the app")
        if not self._refresh_due(shop):
            return self.services.cipher.decrypt(shop.access_token_enc)
        return self._refresh(shop)

    def _refresh_due(self, shop: Shop) -> bool:
        """Tell whether the access token expires within the margin (non-expiring tokens never do)."""
        expires_at = shop.access_token_expires_at
        return expires_at is not None and expires_at - REFRESH_MARGIN <= wall_now(self.services.clock)

    def _refresh(self, shop: Shop) -> str:
        """Refresh under the row lock, re-reading the row so a refresh another worker just did is reused."""
        locked = self.db_session.scalars(
            select(Shop).where(Shop.id == shop.id).with_for_update().execution_options(populate_existing=True)
        ).one()
        try:
            if not self._refresh_due(locked) and locked.access_token_enc is not None:
                token = self.services.cipher.decrypt(locked.access_token_enc)
                self.db_session.commit()
                return token
            token = self._refresh_locked(locked)
        except Exception:
            self.db_session.rollback()
            raise
        self.db_session.commit()
        return token

    def _refresh_locked(self, shop: Shop) -> str:
        """Spend the refresh token and store the new pair; the caller commits, releasing the lock."""
        now = wall_now(self.services.clock)
        if shop.refresh_token_enc is None:
            raise ShopifyAuthError(f"{shop.domain}: access token expired and there is no refresh token")
        if shop.refresh_token_expires_at is not None and shop.refresh_token_expires_at <= now:
            raise ShopifyAuthError(f"{shop.domain}: refresh token expired; the merchant must open the app")
        with http_client_scope(self.http_client) as client:
            result = self.app.refresh_token_exchanged_access_token(
                {
                    "shop": shop_name(shop.domain),
                    "refresh_token": self.services.cipher.decrypt(shop.refresh_token_enc),
                    # Storeflow decided on its own clock that a refresh is due; blank expiries keep
                    # the library from second-guessing that with the system clock.
                    "expires": "",
                    "refresh_token_expires": "",
                    "access_mode": "offline",
                },
                http_client=client,
            )
        fresh = result.access_token
        if not result.ok or fresh is None:
            if result.response.status == 401:
                raise ShopifyAuthError(
                    f"{shop.domain}: refresh refused ({result.log.code}): {result.log.detail}"
                )
            raise ShopifyApiError(
                f"{shop.domain}: token refresh failed ({result.log.code}): {result.log.detail}",
                result.response.status,
            )
        cipher = self.services.cipher
        shop.access_token_enc = cipher.encrypt(fresh.token)
        shop.access_token_expires_at = rebase_expiry(fresh.expires, now)
        if fresh.refresh_token:
            shop.refresh_token_enc = cipher.encrypt(fresh.refresh_token)
            shop.refresh_token_expires_at = rebase_expiry(fresh.refresh_token_expires, now)
        if fresh.scope:
            shop.scopes = fresh.scope
        log.info("refreshed the access token of %s", shop.domain)
        return fresh.token
