"""Store activity for admin tests: a shopper's checkout, and the demo's day of webhooks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from app.core.clock import ManualClock
from demo.run import SCENARIO, Delivery
from tests.support.samples import sample
from tests.support.shopify import deliver
from tests.support.worker import Harness

SHOPPER_EMAIL = "example@email.com"  # the sample checkout's shopper (John Smith)


def checkout_payload(clock: ManualClock, **changes: Any) -> dict[str, Any]:
    """The sample checkout, started now by a shopper who ticked 'email me'."""
    payload = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    payload["buyer_accepts_marketing"] = True
    payload["updated_at"] = clock.now().isoformat()
    payload.update(changes)
    return payload


def abandon_checkout(client: FlaskClient, harness: Harness, **changes: Any) -> None:
    """Deliver the sample checkout as Shopify would, and let the pipeline take it in."""
    response = deliver(client, "checkouts/create", checkout_payload(harness.clock, **changes))
    assert response.status_code == 200, response.json
    harness.drain()


def replay_demo_day(client: FlaskClient, harness: Harness, hours: float = 25.5) -> None:
    """Replay the demo's Shopify story (demo/run.py) on the manual clock, then let ``hours`` pass."""
    epoch = harness.clock.now()
    for delivery in sorted(SCENARIO, key=lambda d: d.at_hours):
        _advance_to(harness, epoch + timedelta(hours=delivery.at_hours))
        secret = "forged-secret" if delivery.forged else None
        body = _body(delivery, harness.clock.now())
        kwargs = {"secret": secret} if secret else {}
        deliver(client, delivery.topic, body, event_id=delivery.event_id, **kwargs)
        harness.drain()
    while harness.clock.now() < epoch + timedelta(hours=hours):
        harness.advance(timedelta(minutes=30))


def _advance_to(harness: Harness, instant: datetime) -> None:
    if instant > harness.clock.now():
        harness.advance(instant - harness.clock.now())


def _body(delivery: Delivery, now: datetime) -> bytes:
    """The sample as the demo sends it: dated now, with the delivery's patches."""
    payload: dict[str, Any] = sample("shopify", delivery.sample)
    payload["updated_at"] = now.isoformat()
    if delivery.topic.startswith("orders/"):
        payload["created_at"] = now.isoformat()
    payload.update(delivery.patches)
    return json.dumps(payload).encode()
