"""POST /webhooks/shopify treats every request as hostile until it is signed, well-formed and ours."""

from __future__ import annotations

import json

import pytest

from app.db.models import WebhookEvent
from tests.support.db import count
from tests.support.samples import sample
from tests.support.shopify import SHOP_DOMAIN, TEST_SECRET, addressed_to, deliver, shopify_headers

CHECKOUT = sample("shopify", "checkouts_create__shopifydocs-2026-04")


@pytest.fixture
def shop(factory):
    return factory.shop()


def test_a_signed_webhook_is_stored_and_acknowledged(app, client, shop):
    response = deliver(client, "checkouts/create", CHECKOUT)

    assert response.status_code == 200
    assert response.json == {"status": "stored"}
    assert count(app, WebhookEvent, topic="checkouts/create", status="pending") == 1


def test_a_forged_signature_gets_401_and_nothing_is_stored(app, client, shop):
    response = deliver(client, "checkouts/create", CHECKOUT, secret="not-the-app-secret")

    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


def test_a_missing_signature_gets_401_and_nothing_is_stored(app, client, shop):
    body = json.dumps(CHECKOUT).encode()
    headers = shopify_headers(body, "checkouts/create")
    del headers["X-Shopify-Hmac-Sha256"]

    response = client.post("/webhooks/shopify", data=body, headers=headers)

    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


def test_a_signature_that_is_not_base64_gets_401(app, client, shop):
    response = deliver(client, "checkouts/create", CHECKOUT, **{"X-Shopify-Hmac-Sha256": "%%%not base64"})

    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


def test_a_body_changed_after_signing_gets_401(app, client, shop):
    body = json.dumps(CHECKOUT).encode()
    headers = shopify_headers(body, "checkouts/create")

    response = client.post("/webhooks/shopify", data=body.replace(b"example", b"EXAMPLE"), headers=headers)

    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


def test_the_previous_secret_still_verifies_while_it_is_rotated(app, client, shop):
    app.extensions["storeflow"].config = app.extensions["storeflow"].config.replace(
        shopify_api_secret="new-secret", shopify_api_secret_old=TEST_SECRET
    )

    response = deliver(client, "checkouts/create", CHECKOUT, secret=TEST_SECRET)

    assert response.status_code == 200


def test_malformed_json_gets_400_and_nothing_is_stored(app, client, shop):
    response = deliver(client, "checkouts/create", b'{"token": "abc",')

    assert response.status_code == 400
    assert count(app, WebhookEvent) == 0


@pytest.mark.parametrize("body", [b"[1, 2, 3]", b'"a string"', b"null", b"42"])
def test_json_that_is_not_an_object_gets_400(app, client, shop, body):
    response = deliver(client, "checkouts/create", body)

    assert response.status_code == 400
    assert count(app, WebhookEvent) == 0


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_json_with_non_standard_constants_gets_400(app, client, shop, constant):
    response = deliver(client, "checkouts/create", b'{"token": "t", "total_price": ' + constant + b"}")

    assert response.status_code == 400
    assert count(app, WebhookEvent) == 0


def test_a_signed_body_that_is_not_utf8_gets_400(app, client, shop):
    response = deliver(client, "checkouts/create", b'{"token": "\xff\xfe"}')

    assert response.status_code == 400
    assert count(app, WebhookEvent) == 0


def test_deeply_nested_json_gets_400_not_a_crash(app, client, shop):
    body = b"[" * 100_000 + b"]" * 100_000

    response = deliver(client, "checkouts/create", b'{"a": ' + body + b"}")

    assert response.status_code in (400, 413)
    assert count(app, WebhookEvent) == 0


def test_a_body_over_the_size_limit_gets_413_and_nothing_is_stored(app, client, shop):
    limit = app.extensions["storeflow"].config.webhook_max_bytes
    body = json.dumps({"token": "x", "note": "a" * limit}).encode()

    response = deliver(client, "checkouts/create", body)

    assert response.status_code == 413
    assert count(app, WebhookEvent) == 0


def test_an_unknown_topic_gets_400(app, client, shop):
    response = deliver(client, "collections/create", CHECKOUT)

    assert response.status_code == 400
    assert "unknown topic" in response.json["error"]
    assert count(app, WebhookEvent) == 0


def test_a_missing_topic_header_gets_400(app, client, shop):
    response = deliver(client, "", CHECKOUT)

    assert response.status_code == 400
    assert count(app, WebhookEvent) == 0


def test_a_shop_domain_outside_myshopify_gets_400(app, client, shop):
    response = deliver(client, "checkouts/create", CHECKOUT, shop_domain="evil.example.com")

    assert response.status_code == 400
    assert count(app, WebhookEvent) == 0


def test_a_delivery_without_any_event_id_gets_400(app, client, shop):
    body = json.dumps(CHECKOUT).encode()
    headers = shopify_headers(body, "checkouts/create")
    del headers["X-Shopify-Event-Id"], headers["X-Shopify-Webhook-Id"]

    response = client.post("/webhooks/shopify", data=body, headers=headers)

    assert response.status_code == 400
    assert count(app, WebhookEvent) == 0


def test_the_webhook_id_stands_in_when_the_event_id_is_missing(app, client, shop):
    body = json.dumps(CHECKOUT).encode()
    headers = shopify_headers(body, "checkouts/create")
    del headers["X-Shopify-Event-Id"]

    first = client.post("/webhooks/shopify", data=body, headers=headers)
    again = client.post("/webhooks/shopify", data=body, headers=headers)

    assert (first.json, again.json) == ({"status": "stored"}, {"status": "duplicate"})
    assert count(app, WebhookEvent) == 1


def test_a_shop_that_never_installed_gets_404_so_shopify_retries_later(app, client):
    response = deliver(client, "checkouts/create", CHECKOUT)

    assert response.status_code == 404
    assert count(app, WebhookEvent) == 0


def test_an_uninstalled_shop_gets_404_for_ordinary_topics(app, client, factory):
    factory.shop(installed=True, uninstalled_at=factory.clock.now())

    response = deliver(client, "checkouts/create", CHECKOUT)

    assert response.status_code == 404
    assert count(app, WebhookEvent) == 0


def test_an_uninstalled_shop_still_gets_its_shop_redact(app, client, factory):
    factory.shop(installed=True, uninstalled_at=factory.clock.now())

    response = deliver(
        client, "shop/redact", addressed_to(sample("shopify", "shop_redact__shopifydocs-2026-04"))
    )

    assert response.status_code == 200
    assert count(app, WebhookEvent, topic="shop/redact") == 1


def test_a_compliance_webhook_for_an_unknown_shop_is_acknowledged_as_holding_no_data(app, client):
    response = deliver(
        client, "customers/redact", addressed_to(sample("shopify", "customers_redact__shopifydocs-2026-04"))
    )

    assert response.status_code == 200
    assert response.json == {"status": "no data held"}
    assert count(app, WebhookEvent) == 0


def test_a_compliance_webhook_with_a_bad_signature_gets_401(app, client, shop):
    payload = sample("shopify", "customers_redact__shopifydocs-2026-04")

    response = deliver(client, "customers/redact", payload, secret="forged")

    assert response.status_code == 401


def test_a_duplicate_delivery_is_acknowledged_and_stored_once(app, client, shop):
    first = deliver(client, "checkouts/create", CHECKOUT, event_id="evt-1")
    again = deliver(client, "checkouts/create", CHECKOUT, event_id="evt-1")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json == {"status": "duplicate"}
    assert count(app, WebhookEvent) == 1


def test_get_is_not_allowed(client, shop):
    assert client.get("/webhooks/shopify").status_code == 405


def test_the_body_is_stored_byte_for_byte(app, client, shop):
    body = json.dumps(CHECKOUT, indent=3).encode()

    deliver(client, "checkouts/create", body)

    with app.app_context():
        from app.db import db

        assert db.session.query(WebhookEvent.body).scalar() == body.decode()


def test_the_endpoint_answers_while_redis_is_down(postgres_url, redis, clock, factory):
    from app.web.factory import create_app
    from tests.conftest import test_config

    factory.shop()
    unreachable = test_config(postgres_url, redis_url="redis://127.0.0.1:1/0")
    app = create_app(unreachable, clock=clock)

    response = deliver(app.test_client(), "checkouts/create", CHECKOUT)

    assert response.status_code == 200
    assert count(app, WebhookEvent) == 1


def test_the_shop_header_is_trusted_over_the_body_for_app_uninstalled(app, client, shop):
    payload = sample("shopify", "app_uninstalled__shopifydocs-2026-04")
    payload["domain"] = None

    response = deliver(client, "app/uninstalled", payload, shop_domain=SHOP_DOMAIN)

    assert response.status_code == 200
    assert count(app, WebhookEvent, topic="app/uninstalled") == 1


def test_the_endpoint_answers_503_so_shopify_retries_when_the_database_is_down(redis, clock):
    from app.web.factory import create_app
    from tests.conftest import test_config

    app = create_app(test_config("postgresql+psycopg://postgres@127.0.0.1:1/nowhere"), clock=clock)

    response = deliver(app.test_client(), "checkouts/create", CHECKOUT)

    assert response.status_code == 503


def test_a_connection_cut_by_a_database_restart_is_replaced_without_losing_the_delivery(app, client, shop):
    import psycopg

    from tests.conftest import POSTGRES_ADMIN_URL

    deliver(client, "checkouts/create", CHECKOUT)
    database = app.extensions["storeflow"].inbox.engine.url.database
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,)
        )

    response = deliver(client, "checkouts/create", CHECKOUT)

    assert response.json == {"status": "stored"}
    assert count(app, WebhookEvent) == 2
