"""A storefront's browser, as far as Storeflow sees it: posts of events from the shop's pages."""

from __future__ import annotations

import json
import secrets
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.extensions import db
from app.jobs.tasks import enqueue_activity
from app.jobs.worker import storefront_buffer
from app.storefront.buffer import QUEUE_KEY
from app.storefront.drain import drain_events

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
