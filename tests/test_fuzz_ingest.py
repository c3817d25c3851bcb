"""Property test through the real pipeline: mutated, correctly signed Shopify and Saleor deliveries
never leave a 500, a crashed job, or an event stuck unprocessed; each ends processed, ignored,
rejected or refused. The mutations include lone surrogates, dates at the ends of time and ids above
2^63."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses
from hypothesis import HealthCheck, given, settings

from app.db.models import WebhookEvent
from tests.support import saleor
from tests.support.db import rows
from tests.support.shopify import addressed_to, deliver
from tests.test_fuzz_normalizers import mutated_saleor, mutated_shopify

PIPELINE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def config_changes() -> dict[str, object]:
    return {"saleor_allowed_api_urls": saleor.ALLOWLIST}


@pytest.fixture
def shop(factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout", "thank_you", "review_request")
    return shop


@pytest.fixture
def saleor_shop(factory) -> Iterator[None]:
    shop = factory.shop(domain=saleor.API_URL, platform="saleor")
    factory.enable(shop, "abandoned_checkout", "thank_you", "review_request")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        saleor.serve_jwks(mock, saleor.signing_key("k1"))
        yield


@PIPELINE
@given(case=mutated_shopify())
def test_mutated_deliveries_are_stored_and_settled(app, client, harness, shop, case):
    topic, payload = case
    body = json.dumps(addressed_to(payload)).encode()

    response = deliver(client, topic, body)
    harness.drain()

    # A mutation may leave a body that is another topic's (400) or names another shop (401).
    assert response.status_code in ((200, 400, 401) if _strict_json(payload) else (400,))
    assert all(
        event.status in {"processed", "ignored", "rejected", "refused"} for event in rows(app, WebhookEvent)
    )


@PIPELINE
@given(case=mutated_saleor())
def test_mutated_saleor_deliveries_are_stored_and_settled(app, client, harness, saleor_shop, case):
    event, payload = case
    body = json.dumps(payload).encode()

    response = saleor.deliver(client, event, body)
    harness.drain()

    # A mutation may leave a body without its event's object (400).
    assert response.status_code in ((200, 400) if _strict_json(payload) else (400,)), response.json
    assert all(
        event.status in {"processed", "ignored", "rejected", "refused"} for event in rows(app, WebhookEvent)
    )


def _strict_json(payload: object) -> bool:
    try:
        json.dumps(payload, allow_nan=False)
    except ValueError:
        return False
    return True
