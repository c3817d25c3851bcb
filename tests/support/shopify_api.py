"""Shopify's side of installing: signed OAuth redirects, session tokens, token and GraphQL endpoints."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import respx

from app.core.clock import utcnow
from tests.support.shopify import SHOP_DOMAIN, TEST_CLIENT_ID, TEST_SECRET

API_VERSION = "2026-04"
SCOPES = (
    "read_orders,read_all_orders,read_customers,read_products,read_inventory,write_discounts,"
    "write_pixels,read_customer_events,write_app_proxy,read_locales"
)
SHOP_ID = "548380009"
SHOP_PROFILE = {
    "id": f"gid://shopify/Shop/{SHOP_ID}",
    "name": "Demo Shop",
    "email": "owner@demo-shop.test",
    "currencyCode": "EUR",
    "ianaTimezone": "Europe/Berlin",
    "primaryDomain": {"url": "https://shop.demo.test"},
}


def oauth_hmac(params: dict[str, str], secret: str = TEST_SECRET) -> str:
    """Sign a query the way Shopify's OAuth docs describe: sorted ``key=value`` pairs, hex HMAC-SHA256."""
    message = "&".join(f"{k}={params[k]}" for k in sorted(params))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signed_query(secret: str = TEST_SECRET, **params: str) -> dict[str, str]:
    """Return the params with the ``hmac`` Shopify would add."""
    return {**params, "hmac": oauth_hmac(params, secret)}


def session_token(
    shop: str = SHOP_DOMAIN,
    secret: str = TEST_SECRET,
    now: datetime | None = None,
    **claims: Any,
) -> str:
    """Sign an App Bridge session token; times default to the wall clock, which PyJWT checks against."""
    issued = now or utcnow()
    payload: dict[str, Any] = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": TEST_CLIENT_ID,
        "sub": "74312",
        "exp": issued + timedelta(minutes=1),
        "nbf": issued,
        "iat": issued,
        "jti": str(uuid.uuid4()),
        "sid": "a1b2c3",
    }
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm="HS256")


def token_grant(
    access_token: str = "shpat_fresh",
    refresh_token: str = "shprt_fresh",
    expires_in: int = 3600,
    refresh_token_expires_in: int = 90 * 24 * 3600,
    scope: str = SCOPES,
) -> dict[str, Any]:
    """Return what ``/admin/oauth/access_token`` answers with expiring offline tokens."""
    return {
        "access_token": access_token,
        "scope": scope,
        "expires_in": expires_in,
        "refresh_token": refresh_token,
        "refresh_token_expires_in": refresh_token_expires_in,
    }


def token_url(shop: str = SHOP_DOMAIN) -> str:
    """Return the shop's OAuth token endpoint."""
    return f"https://{shop}/admin/oauth/access_token"


def graphql_url(shop: str = SHOP_DOMAIN, version: str = API_VERSION) -> str:
    """Return the shop's Admin GraphQL endpoint."""
    return f"https://{shop}/admin/api/{version}/graphql.json"


_CREATE = re.compile(r"(\w+):\s*webhookSubscriptionCreate\(\s*topic:\s*(\w+)")


class FakeAdminApi:
    """Answer Admin GraphQL like Shopify: the shop profile and published locales, existing
    subscriptions, aliased creates, the installation's granted scopes and the app's one web pixel
    (``pixels``: id → settings JSON)."""

    def __init__(
        self,
        existing: list[dict[str, str]] | None = None,
        user_errors: dict[str, str] | None = None,
        granted: str = SCOPES,
        pixels: dict[str, str] | None = None,
        pixel_error: dict[str, str] | None = None,
        locales: list[dict[str, Any]] | None = None,
    ) -> None:
        self.existing = existing or []
        self.user_errors = user_errors or {}
        self.granted = granted
        self.pixels = dict(pixels or {})
        self.pixel_error = pixel_error  # a userError every pixel mutation answers with
        self.locales = locales if locales is not None else [{"locale": "en", "primary": True}]
        self.bodies: list[dict[str, Any]] = []
        self.tokens: list[str] = []

    def mount(self, router: respx.Router, shop: str = SHOP_DOMAIN) -> respx.Route:
        """Route the shop's GraphQL endpoint on a respx router to this fake."""
        return router.post(graphql_url(shop)).mock(side_effect=self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        self.tokens.append(request.headers["X-Shopify-Access-Token"])
        query = body["query"]
        if "currentAppInstallation" in query:
            scopes = [{"handle": handle} for handle in self.granted.split(",") if handle]
            return httpx.Response(200, json={"data": {"currentAppInstallation": {"accessScopes": scopes}}})
        if "webPixel" in query:
            return httpx.Response(200, json={"data": self._pixel(query, body.get("variables") or {})})
        if "webhookSubscriptionCreate" in query:
            return httpx.Response(200, json={"data": self._create(query)})
        if "webhookSubscriptions(" in query:
            return httpx.Response(200, json={"data": {"webhookSubscriptions": {"nodes": self.existing}}})
        if "shopLocales" in query:
            if "read_locales" not in self.granted.split(","):
                return httpx.Response(
                    200, json={"errors": [{"message": "Access denied for shopLocales field."}]}
                )
            return httpx.Response(200, json={"data": {"shopLocales": self.locales}})
        if "shop {" in query:
            return httpx.Response(200, json={"data": {"shop": SHOP_PROFILE}})
        if "bulkOperationRunQuery" in query:  # the history sync an install starts
            operation = {"id": "gid://shopify/BulkOperation/1", "status": "CREATED"}
            return httpx.Response(
                200, json={"data": {"bulkOperationRunQuery": {"bulkOperation": operation, "userErrors": []}}}
            )
        return httpx.Response(200, json={"errors": [{"message": "unexpected query"}]})

    def _create(self, mutation: str) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for n, (alias, topic) in enumerate(_CREATE.findall(mutation), 1):
            if topic in self.user_errors:
                error = {"field": ["webhookSubscription"], "message": self.user_errors[topic]}
                data[alias] = {"webhookSubscription": None, "userErrors": [error]}
            else:
                created = {"id": f"gid://shopify/WebhookSubscription/{n}", "topic": topic}
                data[alias] = {"webhookSubscription": created, "userErrors": []}
        return data

    def _pixel(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Answer the web pixel query and mutations as Shopify does: one pixel per app and shop."""
        if "webPixelCreate" in query:
            if self.pixels:
                return _pixel_payload("webPixelCreate", None, "TAKEN", "Web pixel has already been taken")
            pixel_id = f"gid://shopify/WebPixel/{len(self.bodies)}"
            return self._stored("webPixelCreate", pixel_id, variables)
        if "webPixelUpdate" in query:
            if variables["id"] not in self.pixels:
                return _pixel_payload("webPixelUpdate", None, "NOT_FOUND", "Web pixel not found")
            return self._stored("webPixelUpdate", variables["id"], variables)
        pixel = next(({"id": i, "settings": s} for i, s in self.pixels.items()), None)
        return {"webPixel": pixel}

    def _stored(self, field: str, pixel_id: str, variables: dict[str, Any]) -> dict[str, Any]:
        if self.pixel_error:
            return _pixel_payload(field, None, self.pixel_error["code"], self.pixel_error["message"])
        self.pixels[pixel_id] = variables["webPixel"]["settings"]
        return _pixel_payload(field, {"id": pixel_id, "settings": self.pixels[pixel_id]})

    def pixel_mutations(self) -> list[tuple[str, dict[str, Any]]]:
        """Return (mutation field, variables) of every web pixel mutation sent, in order."""
        return [
            (field, b.get("variables") or {})
            for b in self.bodies
            for field in ("webPixelCreate", "webPixelUpdate")
            if field in b["query"]
        ]

    def mutations(self) -> list[str]:
        """Return every webhook subscription mutation sent."""
        return [
            b["query"]
            for b in self.bodies
            if b["query"].lstrip().startswith("mutation") and "webhookSubscriptionCreate" in b["query"]
        ]

    def created_topics(self) -> list[str]:
        """Return the topic enums of every ``webhookSubscriptionCreate`` sent, in order."""
        return [topic for mutation in self.mutations() for _, topic in _CREATE.findall(mutation)]


def _pixel_payload(
    field: str, pixel: dict[str, Any] | None, code: str | None = None, message: str = ""
) -> dict[str, Any]:
    errors = [{"code": code, "field": ["webPixel"], "message": message}] if code else []
    return {field: {"webPixel": pixel, "userErrors": errors}}


def epoch(instant: datetime) -> str:
    """Return a Unix timestamp string, as Shopify puts in ``timestamp``."""
    return str(int(instant.astimezone(UTC).timestamp()))
