"""Admin GraphQL calls for one shop (new public apps must use GraphQL; REST is legacy)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from app.db.models import Shop
from app.platforms.shopify.errors import ShopifyApiError, ShopifyAuthError
from app.platforms.shopify.sdk import http_client_scope, shop_name
from app.platforms.shopify.tokens import ShopifyTokens


class ShopifyAdmin:
    """Run Admin API queries as the shop's offline token; the library retries 429 and 5xx itself."""

    def __init__(
        self,
        shop: Shop,
        tokens: ShopifyTokens,
        api_version: str,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.shop = shop
        self.tokens = tokens
        self.api_version = api_version
        self.http_client = http_client

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the ``data`` of a query, raising when Shopify reports any error at all."""
        return self.execute_costed(query, variables)[0]

    def execute_costed(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return the ``data`` and the ``extensions`` (its ``cost``, with the throttle's state)."""
        access_token = self.tokens.access_token(self.shop)
        with http_client_scope(self.http_client) as client:
            result = self.tokens.app.admin_graphql_request(
                query,
                shop=shop_name(self.shop.domain),
                access_token=access_token,
                api_version=self.api_version,
                variables=variables,
                http_client=client,
            )
        if result.response.status == 401:
            raise ShopifyAuthError(f"{self.shop.domain}: access token rejected ({result.log.detail})")
        if not result.ok:
            errors = _graphql_errors(result.response.body)
            raise ShopifyApiError(
                f"{self.shop.domain}: {result.log.code}: {result.log.detail}{errors}", result.response.status
            )
        extensions = result.extensions if isinstance(result.extensions, dict) else {}
        return result.data or {}, extensions


def _graphql_errors(body: str) -> str:
    """Return the messages of a GraphQL ``errors`` list, for the exception text."""
    try:
        errors = json.loads(body).get("errors") if body else None
    except (ValueError, AttributeError):
        return ""
    if not errors:
        return ""
    if isinstance(errors, list):
        return ": " + "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
    return f": {errors}"
