"""Deliver signed Shopify webhooks to the app, exactly as Shopify would."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from webhooks.shopify.verify import sign

TEST_SECRET = "test-shopify-client-secret-0123456789abcdef"
TEST_CLIENT_ID = "test-client-id"
SHOP_DOMAIN = "demo-shop.myshopify.com"


def shopify_headers(
    body: bytes,
    topic: str,
    shop_domain: str = SHOP_DOMAIN,
    event_id: str | None = None,
    secret: str = TEST_SECRET,
    triggered_at: str | None = None,
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Hmac-Sha256": sign(body, secret),
    }
    if triggered_at:
        headers["X-Shopify-Triggered-At"] = triggered_at
    return headers


def deliver(
    client: FlaskClient,
    topic: str,
    payload: dict[str, Any] | bytes,
    shop_domain: str = SHOP_DOMAIN,
    event_id: str | None = None,
    secret: str = TEST_SECRET,
    **header_overrides: str,
) -> TestResponse:
    """POST one signed webhook to /webhooks/shopify."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = shopify_headers(body, topic, shop_domain, event_id, secret)
    headers.update(header_overrides)
    return client.post("/webhooks/shopify", data=body, headers=headers)


def addressed_to(
    payload: dict[str, Any], shop_domain: str = SHOP_DOMAIN, shop_id: str = "954889"
) -> dict[str, Any]:
    """Name the shop in a sample body the way Shopify's own deliveries for that shop do.

    The compliance samples say ``{shop}.myshopify.com``; the uninstall sample is the shop object,
    which carries the shop's ``id`` and ``myshopify_domain``.
    """
    if "shop_domain" in payload:
        payload.update(shop_domain=shop_domain, shop_id=int(shop_id))
    if "myshopify_domain" in payload:
        payload.update(id=int(shop_id), myshopify_domain=shop_domain)
    return payload
