"""Property test through the real pipeline: mutated, correctly signed Shopify deliveries never leave
a 500, a crashed job, or an event stuck unprocessed; each ends processed, ignored or rejected."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from app.models import WebhookEvent
from tests.support.db import rows
from tests.support.shopify import deliver
from tests.test_fuzz_normalizers import mutated_shopify


@pytest.fixture
def shop(factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout", "thank_you", "review_request")
    return shop


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=mutated_shopify())
def test_mutated_deliveries_are_stored_and_settled(app, client, harness, shop, case):
    topic, payload = case
    body = json.dumps(payload).encode()

    response = deliver(client, topic, body)
    harness.drain()

    assert response.status_code == (200 if _strict_json(payload) else 400)
    assert all(event.status in {"processed", "ignored", "rejected"} for event in rows(app, WebhookEvent))


def _strict_json(payload: object) -> bool:
    try:
        json.dumps(payload, allow_nan=False)
    except ValueError:
        return False
    return True
