"""A storefront's browser, as far as Storeflow sees it: posts of events from the shop's pages."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app.db import db
from app.db.models import Contact
from app.jobs.storefront_drain import drain_events
from app.jobs.tasks import enqueue_activity
from app.jobs.worker import storefront_buffer
from app.platforms.shopify.app_proxy import APP_PROXY_PATH, signed_query
from app.storefront.buffer import QUEUE_KEY
from app.storefront.identity import Clicker, clicker_token
from tests.support.shopify import SHOP_DOMAIN, TEST_SECRET

STOREFRONT = "https://shop.demo.test"
PATH = "/storefront/events"


def visitor_id() -> str:
    """A fresh visitor id, as the snippet makes one."""
    return secrets.token_hex(16)


def product_viewed(product_id: str = "632910392", **fields: Any) -> dict[str, Any]:
    return {"type": "product_viewed", "product_id": product_id, **fields}


def post(
    client: FlaskClient,
    key: str,
    body: dict[str, Any] | bytes,
    origin: str | None = STOREFRONT,
) -> TestResponse:
    """POST one batch as our snippet does: JSON sent as text/plain, with the page's Origin."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "text/plain"}
    if origin is not None:
        headers["Origin"] = origin
    return client.post(f"{PATH}?k={key}", data=data, headers=headers)


def proxied_post(
    client: FlaskClient,
    body: dict[str, Any],
    logged_in_customer_id: str = "",
    shop_domain: str = SHOP_DOMAIN,
    secret: str = TEST_SECRET,
    timestamp: int | None = None,
    tamper: dict[str, str] | None = None,
    unsigned: bool = False,
) -> TestResponse:
    """POST one batch as Shopify's app proxy forwards it: the query Shopify adds, signed with the app secret.

    ``tamper`` changes parameters after signing and ``unsigned`` drops the signature, as a forger would.
    """
    params = {
        "shop": shop_domain,
        "logged_in_customer_id": logged_in_customer_id,
        "path_prefix": "/apps/storeflow",
        "timestamp": str(int(time.time()) if timestamp is None else timestamp),
    }
    query = dict(parse_qsl(signed_query(params, secret), keep_blank_values=True))
    query.update(tamper or {})
    if unsigned:
        query.pop("signature")
    return client.post(
        f"{APP_PROXY_PATH}?{urlencode(query)}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "text/plain"},
    )


def batch(visitor: str | None = None, *events: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A post's body: one visitor, their events (a product view by default), and any extra fields."""
    return {"visitor": visitor or visitor_id(), "events": list(events) or [product_viewed()], **fields}


def queued(app: Flask) -> int:
    """How many posts wait in Redis for the worker."""
    return int(app.extensions["storeflow"].redis.llen(QUEUE_KEY))


def drain(app: Flask) -> int:
    """Do what the worker's relay loop does: move queued posts into the database."""
    services = app.extensions["storeflow"]
    with app.app_context():
        stored = drain_events(
            db.session(),
            storefront_buffer(services),
            services.config.secret_key,
            report=enqueue_activity(services.queue),
        )
        db.session.remove()
    return stored


def our_link(app: Flask, shop_id: int, email: str) -> str:
    """The signed clicker (``sf_c``) a shopper's browser brings when they arrive through one of our links."""
    with app.app_context():
        contact_id = db.session.scalars(select(Contact.id).filter_by(shop_id=shop_id, email=email)).one()
        db.session.remove()
    secret = app.extensions["storeflow"].config.secret_key
    return clicker_token(secret, Clicker(shop_id, contact_id, message_id=1))
