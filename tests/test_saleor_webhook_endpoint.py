"""POST /webhooks/saleor stores a delivery only when an installed, allowed instance signed it.

Signatures are real detached RS256 JWS made with test RSA keys; the instance's JWKS is served at
the HTTP boundary with ``responses``. Every rejection leaves the inbox empty.
"""

from __future__ import annotations

import json

import pytest
import responses

from app.db.models import WebhookEvent
from app.web.webhooks.saleor import dedupe_key
from demo.saleor import checkout_from_legacy
from tests.support.db import count, rows
from tests.support.saleor import (
    ALLOWLIST,
    API_URL,
    JWKS_URL,
    OTHER_API_URL,
    deliver,
    other_key,
    saleor_headers,
    serve_jwks,
    signing_key,
)
from tests.support.samples import sample

CHECKOUT = checkout_from_legacy(
    sample("saleor", "SHIPPING_LIST_METHODS_FOR_CHECKOUT__saleor-docs-legacy-checkout")[0]
)
CHECKOUT["issuedAt"] = "2026-11-26T12:00:00+00:00"
BODY = json.dumps(CHECKOUT).encode()


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


@pytest.fixture
def saleor():
    """The instance's JWKS (key ``k1``) at the HTTP boundary; any other outbound request fails."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_jwks(mock, signing_key("k1"))
        yield mock


@pytest.fixture
def shop(factory):
    return factory.shop(domain=API_URL, platform="saleor", name="Demo Saleor Store")


def jwks_fetches(mock) -> int:
    return sum(1 for call in mock.calls if call.request.url == JWKS_URL)


def test_a_signed_delivery_is_stored_and_acknowledged(app, client, saleor, shop):
    response = deliver(client, "CHECKOUT_CREATED", BODY)

    assert (response.status_code, response.json) == (200, {"status": "stored"})
    (event,) = rows(app, WebhookEvent)
    assert (event.platform, event.topic, event.shop_id) == ("saleor", "checkout_created", shop.id)
    assert event.body == BODY.decode()
    assert event.triggered_at.isoformat() == "2026-11-26T12:00:00+00:00"


def test_a_redelivery_of_the_same_event_is_acknowledged_and_stored_once(app, client, saleor, shop):
    first = deliver(client, "CHECKOUT_CREATED", BODY)
    again = deliver(client, "CHECKOUT_CREATED", BODY)

    assert (first.json, again.json) == ({"status": "stored"}, {"status": "duplicate"})
    assert rows(app, WebhookEvent)[0].event_id == dedupe_key("checkout_created", BODY)


def test_the_same_body_under_another_event_is_another_event(app, client, saleor, shop):
    deliver(client, "CHECKOUT_CREATED", BODY)
    deliver(client, "CHECKOUT_UPDATED", BODY)

    assert count(app, WebhookEvent) == 2


def test_the_keys_are_fetched_once_and_cached(app, client, saleor, shop):
    deliver(client, "CHECKOUT_CREATED", BODY)
    deliver(client, "CHECKOUT_UPDATED", BODY)

    assert jwks_fetches(saleor) == 1


def test_a_rotated_key_with_a_new_kid_is_fetched_once_and_accepted(app, client, saleor, shop):
    # given keys cached before the instance rotated to k2
    deliver(client, "CHECKOUT_CREATED", BODY)
    serve_jwks(saleor, signing_key("k2"))

    # when a delivery signed with the new key arrives
    response = deliver(client, "CHECKOUT_UPDATED", BODY, key=signing_key("k2"))

    # then the set was fetched again, once, and the delivery stored
    assert response.status_code == 200
    assert jwks_fetches(saleor) == 2
    assert count(app, WebhookEvent) == 2


def test_a_rotated_key_under_the_same_kid_is_refetched_and_accepted(app, client, saleor, shop):
    # older Saleor versions publish every key as kid "1"
    serve_jwks(saleor, signing_key("1"))
    deliver(client, "CHECKOUT_CREATED", BODY, key=signing_key("1"))
    serve_jwks(saleor, other_key("1"))

    response = deliver(client, "CHECKOUT_UPDATED", BODY, key=other_key("1"))

    assert response.status_code == 200
    assert jwks_fetches(saleor) == 2


def test_a_forged_signature_gets_401_and_nothing_is_stored(app, client, saleor, shop):
    response = deliver(client, "CHECKOUT_CREATED", BODY, key=other_key("k1"))

    assert response.status_code == 401
    assert "does not match the body" in response.json["error"]
    assert count(app, WebhookEvent) == 0


def test_a_key_the_instance_never_published_gets_401_after_one_refetch(app, client, saleor, shop):
    response = deliver(client, "CHECKOUT_CREATED", BODY, key=signing_key("intruder"))

    assert response.status_code == 401
    assert "unknown key" in response.json["error"]
    assert jwks_fetches(saleor) == 1  # fetched just now: nothing newer to learn
    assert count(app, WebhookEvent) == 0


def test_forged_signatures_cannot_make_us_refetch_the_keys_over_and_over(app, client, saleor, shop):
    deliver(client, "CHECKOUT_CREATED", BODY)
    for _ in range(5):
        deliver(client, "CHECKOUT_UPDATED", BODY, key=other_key("k1"))

    assert jwks_fetches(saleor) == 2


def test_a_body_changed_after_signing_gets_401(app, client, saleor, shop):
    headers = saleor_headers(BODY, "CHECKOUT_CREATED", signing_key("k1"))

    response = client.post("/webhooks/saleor", data=BODY.replace(b"linda", b"LINDA"), headers=headers)

    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


def test_a_signature_that_is_not_a_detached_jws_gets_401(app, client, saleor, shop):
    response = deliver(client, "CHECKOUT_CREATED", BODY, **{"Saleor-Signature": "abc.def.ghi"})

    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


def test_an_hmac_signed_delivery_gets_401(app, client, saleor, shop):
    response = deliver(client, "CHECKOUT_CREATED", BODY, **{"Saleor-Signature": "ab" * 32})

    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


def test_a_missing_signature_gets_401(app, client, saleor, shop):
    headers = saleor_headers(BODY, "CHECKOUT_CREATED", signing_key("k1"))
    del headers["Saleor-Signature"]

    response = client.post("/webhooks/saleor", data=BODY, headers=headers)

    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


def test_a_missing_api_url_gets_401_and_no_keys_are_fetched(app, client, saleor, shop):
    headers = saleor_headers(BODY, "CHECKOUT_CREATED", signing_key("k1"))
    del headers["Saleor-Api-Url"]

    response = client.post("/webhooks/saleor", data=BODY, headers=headers)

    assert response.status_code == 401
    assert jwks_fetches(saleor) == 0
    assert count(app, WebhookEvent) == 0


def test_a_missing_event_header_gets_400(app, client, saleor, shop):
    headers = saleor_headers(BODY, "CHECKOUT_CREATED", signing_key("k1"))
    del headers["Saleor-Event"]

    response = client.post("/webhooks/saleor", data=BODY, headers=headers)

    assert response.status_code == 400
    assert count(app, WebhookEvent) == 0


def test_an_event_we_do_not_subscribe_to_gets_400(app, client, saleor, shop):
    response = deliver(client, "PAGE_CREATED", BODY)

    assert response.status_code == 400
    assert count(app, WebhookEvent) == 0


def test_an_allowed_but_unknown_instance_gets_401_and_no_keys_are_fetched(app, client, saleor, shop):
    response = deliver(client, "CHECKOUT_CREATED", BODY, api_url=OTHER_API_URL)

    assert response.status_code == 401
    assert len(saleor.calls) == 0
    assert count(app, WebhookEvent) == 0


def test_an_installed_instance_off_the_allowlist_gets_401_and_no_keys_are_fetched(
    app, client, saleor, factory
):
    factory.shop(domain="https://shop.elsewhere.test/graphql/", platform="saleor")

    response = deliver(client, "CHECKOUT_CREATED", BODY, api_url="https://shop.elsewhere.test/graphql/")

    assert response.status_code == 401
    assert len(saleor.calls) == 0
    assert count(app, WebhookEvent) == 0


def test_an_uninstalled_instance_gets_401(app, client, saleor, factory):
    factory.shop(domain=API_URL, platform="saleor", installed=False)

    response = deliver(client, "CHECKOUT_CREATED", BODY)

    assert response.status_code == 401
    assert len(saleor.calls) == 0


def test_the_api_url_is_normalized_before_it_is_looked_up(app, client, saleor, shop):
    response = deliver(client, "CHECKOUT_CREATED", BODY, api_url="HTTPS://Demo.Saleor.Test:443/graphql")

    assert response.status_code == 200


def test_malformed_json_gets_400_and_nothing_is_stored(app, client, saleor, shop):
    response = deliver(client, "CHECKOUT_CREATED", b'{"checkout": {"id": ')

    assert response.status_code == 400
    assert count(app, WebhookEvent) == 0


def test_json_that_is_not_an_object_gets_400(app, client, saleor, shop):
    response = deliver(client, "CHECKOUT_CREATED", b"[1, 2, 3]")

    assert response.status_code == 400
    assert count(app, WebhookEvent) == 0


def test_a_body_over_the_size_limit_gets_413_and_nothing_is_stored(app, client, saleor, shop):
    body = json.dumps({"checkout": {"id": "x" * app.config["MAX_CONTENT_LENGTH"]}}).encode()

    response = deliver(client, "CHECKOUT_CREATED", body)

    assert response.status_code == 413
    assert count(app, WebhookEvent) == 0


def test_unreachable_keys_get_503_so_saleor_redelivers(app, client, shop):
    with responses.RequestsMock() as mock:
        mock.get(JWKS_URL, status=502)

        response = deliver(client, "CHECKOUT_CREATED", BODY)

    assert response.status_code == 503
    assert count(app, WebhookEvent) == 0


def test_the_endpoint_answers_503_so_saleor_retries_when_the_database_is_down(redis, clock):
    from app.web.factory import create_app
    from tests.conftest import test_config

    app = create_app(
        test_config("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", saleor_allowed_api_urls=ALLOWLIST),
        clock=clock,
    )

    response = deliver(app.test_client(), "CHECKOUT_CREATED", BODY)

    assert response.status_code == 503
