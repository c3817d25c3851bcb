"""The demo's catalogue and storefront moments: products syncing, a "notify me" signup, shoppers
subscribing, browsing and allowing web push, stock arriving and a price dropping, in one Shopify
store's day.

Product payloads follow Shopify's product resource example (the IPod Nano, product 632910392,
variant 808950810, inventory item 341629), the product John's sample checkout holds. Each moment is
real traffic: signed webhooks to /webhooks/shopify, posts to /storefront/notify and /storefront/push
from the storefront's origin, and a logged-in shopper's events as Shopify's app proxy forwards them.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "shopify"
SHOP_DOMAIN = "demo-shop.myshopify.com"
SECRET = "demo-shopify-secret"
STOREFRONT = "https://demo-shop.example"
SHOP_ZONE = ZoneInfo("America/New_York")
BOB = 706405506930370000  # the customers/create sample's customer
KARINE = 706405506930370001
BOB_BROWSER = uuid.uuid4().hex  # the sf_vid cookie of Bob's browser


def post_webhook(
    base: str,
    topic: str,
    payload: dict[str, Any],
    now: datetime,
    event_id: str | None = None,
    forged: bool = False,
) -> requests.Response:
    """Sign a payload as Shopify does and POST it to /webhooks/shopify."""
    from webhooks.shopify.verify import sign

    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": SHOP_DOMAIN,
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": now.isoformat(),
        "X-Shopify-Hmac-Sha256": sign(body, "forged-secret" if forged else SECRET),
    }
    return requests.post(f"{base}/webhooks/shopify", data=body, headers=headers, timeout=10)


@dataclass(frozen=True)
class Stage:
    """What a moment needs: the app's URL, the flow clock, and the shop's public storefront key."""

    base: str
    clock: Any
    storefront_key: str


@dataclass(frozen=True)
class Moment:
    at_hours: float
    story: str
    act: Callable[[Stage], requests.Response]


def _ipod(now: datetime, available: int, price: str) -> dict[str, Any]:
    return {
        "id": 632910392,
        "title": "IPod Nano - 8GB",
        "handle": "ipod-nano",
        "product_type": "Cult Products",
        "tags": "Emotive, Flash Memory, MP3, Music",
        "status": "active",
        "updated_at": now.isoformat(),
        "image": {"src": "https://cdn.shopify.com/s/files/1/0006/9093/3842/products/ipod-nano.png"},
        "variants": [
            {
                "id": 808950810,
                "product_id": 632910392,
                "title": "Pink",
                "price": price,
                "inventory_policy": "deny",
                "inventory_item_id": 341629,
                "inventory_quantity": available,
            }
        ],
    }


def _sold_out(stage: Stage) -> requests.Response:
    now = stage.clock.now()
    return post_webhook(stage.base, "products/update", _ipod(now, 0, "199.00"), now)


def _restocked(stage: Stage) -> requests.Response:
    now = stage.clock.now()
    level = {
        "inventory_item_id": 341629,
        "location_id": 905684977,
        "available": 25,
        "updated_at": now.isoformat(),
    }
    return post_webhook(stage.base, "inventory_levels/update", level, now)


def _cheaper(stage: Stage) -> requests.Response:
    now = stage.clock.now()
    return post_webhook(stage.base, "products/update", _ipod(now, 25, "149.00"), now)


def _maya_signs_up(stage: Stage) -> requests.Response:
    form = {"email": "maya@example.com", "product_id": "632910392", "variant_id": "808950810"}
    return requests.post(
        f"{stage.base}/storefront/notify?k={stage.storefront_key}",
        data=form,
        headers={"Origin": STOREFRONT},
        timeout=10,
    )


def _karine_signs_up(stage: Stage) -> requests.Response:
    now = stage.clock.now()
    customer = json.loads((SAMPLES / "customers_create__shopifydocs-2024-07.json").read_text())
    birthday = now.astimezone(SHOP_ZONE).date().replace(year=1991)
    customer.update(
        id=KARINE,
        email="karine@example.com",
        first_name="Karine",
        last_name="Dubois",
        updated_at=now.isoformat(),
        metafields=[
            {"namespace": "facts", "key": "birth_date", "value": birthday.isoformat(), "type": "date"}
        ],
    )
    post_webhook(stage.base, "customers/create", customer, now)
    consent = {
        "customer_id": KARINE,
        "email_address": "karine@example.com",
        "email_marketing_consent": {
            "state": "subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": None,
        },
    }
    return post_webhook(stage.base, "customers_email_marketing_consent/update", consent, now)


def _bob_browses(stage: Stage) -> requests.Response:
    """Bob, logged in, browses: his storefront posts through the shop's app proxy, which Shopify
    forwards with his ``logged_in_customer_id`` signed, the only login Storeflow trusts."""
    from app.platforms.shopify.app_proxy import APP_PROXY_PATH, signed_query

    visit = {
        "visitor": BOB_BROWSER,
        "page": f"{STOREFRONT}/products/ipod-nano",
        "events": [
            {"type": "collection_viewed", "collection_id": "841564295"},
            {"type": "product_viewed", "product_id": "632910392", "variant_id": "808950810"},
        ],
    }
    proxy = {
        "shop": SHOP_DOMAIN,
        "logged_in_customer_id": str(BOB),
        "path_prefix": "/apps/storeflow",
        "timestamp": str(int(time.time())),
    }
    return requests.post(
        f"{stage.base}{APP_PROXY_PATH}?{signed_query(proxy, SECRET)}",
        data=json.dumps(visit),
        headers={"Content-Type": "text/plain"},
        timeout=10,
    )


def _bob_allows_push(stage: Stage) -> requests.Response:
    """Bob clicks "Get updates" and allows notifications: his browser's subscription, as Chrome makes one."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    subscription = {
        "endpoint": f"https://fcm.googleapis.com/fcm/send/demo-{secrets.token_urlsafe(12)}",
        "keys": {"p256dh": _b64url(point), "auth": _b64url(secrets.token_bytes(16))},
    }
    body = {"visitor": BOB_BROWSER, "subscription": subscription, "timezone": "America/Toronto"}
    return requests.post(
        f"{stage.base}/storefront/push?k={stage.storefront_key}",
        data=json.dumps(body),
        headers={"Content-Type": "text/plain", "Origin": STOREFRONT},
        timeout=10,
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


MOMENTS = (
    Moment(0.3, "shopify products/update         the catalogue syncs: the IPod Nano is sold out", _sold_out),
    Moment(
        0.35, "storefront notify-me form      maya@example.com asks to hear when it is back", _maya_signs_up
    ),
    Moment(
        0.75, "shopify customers/create + consent  Karine signs up; her birthday is today", _karine_signs_up
    ),
    Moment(
        0.8,
        "storefront events (app proxy)  Bob (logged in) browses the IPods, views the IPod Nano",
        _bob_browses,
    ),
    Moment(
        0.85,
        "storefront push signup         Bob clicks “Get updates” and allows notifications",
        _bob_allows_push,
    ),
    Moment(2.0, "shopify inventory_levels/update 25 IPod Nanos arrive at the warehouse", _restocked),
    Moment(20.0, "shopify products/update         the IPod Nano drops from 199.00 to 149.00", _cheaper),
)
