"""A Saleor delivery acts only on the installation it was made for (issue 13.6).

One key signs every app's deliveries on a Saleor instance, over the body only: a delivery made for
another app's webhook verifies against our installation too. These tests replay such deliveries,
really signed with the instance's key, and show our installation is untouched.
"""

from __future__ import annotations

import json

import pytest
import responses

from app.db.models import Shop, WebhookEvent
from app.platforms.saleor.manifest import webhook_definitions
from tests.support.db import count, rows
from tests.support.saleor import (
    ALLOWLIST,
    API_URL,
    APP_ID,
    deliver,
    global_id,
    serve_jwks,
    signing_key,
    who_am_i,
)

OTHER_APP_ID = global_id("App", "77")
ISSUED = "2026-11-26T12:00:00+00:00"
CHECKOUT = {
    "issuedAt": ISSUED,
    "checkout": {"id": global_id("Checkout", "c-1"), "token": "c-1", "email": "linda@example.com"},
}


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


@pytest.fixture
def saleor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(API_URL, json=who_am_i())
        serve_jwks(mock, signing_key("k1"))
        yield mock


@pytest.fixture
def installed(client, saleor):
    """Storeflow installed from the dashboard of ``demo.saleor.test``, as Saleor does it."""
    response = client.post(
        "/saleor/register",
        json={"auth_token": "saleor-app-token"},
        headers={"Saleor-Api-Url": API_URL, "Saleor-Domain": "demo.saleor.test"},
    )
    assert response.status_code == 200


def installation(app) -> Shop:
    (shop,) = rows(app, Shop)
    return shop


def test_another_apps_app_deleted_is_refused_and_the_installation_stays(app, client, harness, installed):
    response = deliver(client, "APP_DELETED", {"issuedAt": ISSUED, "app": {"id": OTHER_APP_ID}})
    harness.drain()

    assert installation(app).is_installed
    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


def test_our_own_app_deleted_still_uninstalls(app, client, harness, installed):
    response = deliver(
        client, "APP_DELETED", {"issuedAt": "2099-01-01T00:00:00+00:00", "app": {"id": APP_ID}}
    )
    harness.drain()

    assert response.status_code == 200
    assert not installation(app).is_installed


def test_an_app_deleted_for_an_installation_that_knows_no_app_id_is_refused_when_processed(
    app, client, harness, factory, saleor
):
    shop = factory.shop(domain=API_URL, platform="saleor")

    deliver(client, "APP_DELETED", {"issuedAt": "2099-01-01T00:00:00+00:00", "app": {"id": OTHER_APP_ID}})
    harness.drain()

    (event,) = rows(app, WebhookEvent)
    assert event.status == "refused"
    assert rows(app, Shop, id=shop.id)[0].is_installed


def test_the_installation_remembers_its_saleor_domain_and_events(app, installed):
    remembered = installation(app).settings["saleor"]

    assert remembered["domain"] == "demo.saleor.test"
    assert set(remembered["events"]) == {
        event.header
        for definition in webhook_definitions(app.extensions["storeflow"].config)
        for event in definition.events
    }


def test_a_delivery_naming_another_saleor_domain_is_refused(app, client, installed):
    response = deliver(client, "CHECKOUT_CREATED", CHECKOUT, **{"Saleor-Domain": "other-shop.example"})

    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


def test_a_delivery_without_a_saleor_domain_is_refused(app, client, installed):
    response = deliver(client, "CHECKOUT_CREATED", CHECKOUT, **{"Saleor-Domain": ""})

    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


def test_an_event_the_installation_did_not_subscribe_to_is_refused(app, client, factory, installed):
    shop = installation(app)
    shop.settings = {**shop.settings, "saleor": {**shop.settings["saleor"], "events": ["order_created"]}}
    factory.session.merge(shop)
    factory.session.commit()
    app.extensions["storeflow"].shop_directory.clear()

    response = deliver(client, "CHECKOUT_CREATED", CHECKOUT)

    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


def test_an_installation_that_stored_no_events_is_held_to_the_manifests(app, client, factory, saleor):
    factory.shop(domain=API_URL, platform="saleor")

    response = deliver(client, "CHECKOUT_CREATED", CHECKOUT)

    assert response.status_code == 200


def test_a_body_that_is_not_the_events_object_is_refused(app, client, installed):
    another_apps_order = {"issuedAt": ISSUED, "order": {"id": global_id("Order", "o-1"), "number": "1"}}

    response = deliver(client, "CHECKOUT_UPDATED", json.dumps(another_apps_order).encode())

    assert response.status_code == 400
    assert count(app, WebhookEvent) == 0
