"""Installing from a Saleor dashboard: a token is taken only from an allowed instance that vouches for it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import responses

from app.db.models import Enrollment, HistorySyncState, Shop, WebhookEvent
from app.platforms.saleor.manifest import fingerprint
from tests.support.db import count, rows
from tests.support.saleor import (
    ALLOWLIST,
    API_URL,
    APP_ID,
    AUTH_TOKEN,
    deliver,
    serve_jwks,
    signing_key,
    who_am_i,
)


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


@pytest.fixture
def saleor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def install(client, token=AUTH_TOKEN, api_url=API_URL, schema_version="3.23"):
    """POST the install as Saleor does: the token, and headers naming the instance and its schema."""
    headers = {"Saleor-Api-Url": api_url, "Saleor-Domain": "demo.saleor.test"} if api_url else {}
    if schema_version is not None:
        headers["Saleor-Schema-Version"] = schema_version
    return client.post("/saleor/register", json={"auth_token": token}, headers=headers)


def test_an_allowed_instance_that_vouches_for_its_token_is_installed(app, client, saleor):
    saleor.post(API_URL, json=who_am_i())

    response = install(client)

    assert (response.status_code, response.json) == (200, {"success": True})
    (shop,) = rows(app, Shop)
    assert (shop.platform, shop.domain, shop.name) == ("saleor", API_URL, "Demo Saleor Store")
    assert shop.is_installed
    assert shop.settings["saleor"]["app_id"] == APP_ID


def test_an_install_opens_the_store_history_sync_and_queues_its_first_run(app, client, saleor):
    saleor.post(API_URL, json=who_am_i())

    install(client)

    assert {s.status for s in rows(app, HistorySyncState)} == {"pending"}
    queued = app.extensions["storeflow"].queue.jobs
    assert [job.func_name for job in queued] == ["app.jobs.history.run_history_sync"]


def test_the_token_is_checked_against_that_api_with_the_token_itself(app, client, saleor):
    check = saleor.post(API_URL, json=who_am_i())

    install(client)

    request = check.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {AUTH_TOKEN}"
    assert "app { id }" in json.loads(request.body)["query"]


def test_the_token_is_stored_encrypted(app, client, saleor):
    saleor.post(API_URL, json=who_am_i())

    install(client)

    (shop,) = rows(app, Shop)
    assert AUTH_TOKEN not in shop.access_token_enc
    assert app.extensions["storeflow"].cipher.decrypt(shop.access_token_enc) == AUTH_TOKEN


def test_the_installation_is_keyed_by_the_normalized_api_url(app, client, saleor):
    saleor.post(API_URL, json=who_am_i())

    install(client, api_url="HTTPS://Demo.Saleor.Test/graphql")

    assert rows(app, Shop)[0].domain == API_URL


def test_the_installation_remembers_which_webhook_queries_saleor_took(app, client, saleor):
    saleor.post(API_URL, json=who_am_i())

    install(client)

    expected = fingerprint(app.extensions["storeflow"].config)
    assert rows(app, Shop)[0].settings["saleor"]["webhooks_fingerprint"] == expected


def test_the_installation_keeps_the_schema_version_saleor_registered_with(app, client, saleor):
    saleor.post(API_URL, json=who_am_i())

    install(client, schema_version="3.23")

    assert rows(app, Shop)[0].api_version == "3.23"


def test_deliveries_are_stored_with_the_schema_version_of_the_installation(app, client, saleor, harness):
    # Saleor 3.23 sends Saleor-Schema-Version only on the register POST, never with a delivery
    saleor.post(API_URL, json=who_am_i())
    serve_jwks(saleor, signing_key("k1"))
    install(client, schema_version="3.23")

    response = deliver(
        client, "APP_DELETED", {"issuedAt": harness.clock.now().isoformat(), "app": {"id": APP_ID}}
    )

    assert response.status_code == 200
    (event,) = rows(app, WebhookEvent)
    assert event.api_version == "3.23"


def test_a_reinstall_from_an_upgraded_instance_records_its_new_schema_version(app, client, saleor):
    saleor.post(API_URL, json=who_am_i())
    install(client, schema_version="3.22")

    install(client, schema_version="3.23")

    assert rows(app, Shop)[0].api_version == "3.23"


def test_an_instance_off_the_allowlist_is_refused_without_being_contacted(app, client, saleor):
    response = install(client, api_url="https://evil.example/graphql/")

    assert response.status_code == 403
    assert response.json["error"]["code"] == "SALEOR_URL_PROHIBITED"
    assert "SALEOR_ALLOWED_API_URLS" in response.json["error"]["message"]
    assert len(saleor.calls) == 0
    assert count(app, Shop) == 0


@pytest.mark.parametrize("config_changes", [{}])
def test_by_default_every_instance_is_refused(app, client, saleor, config_changes):
    response = install(client)

    assert response.status_code == 403
    assert len(saleor.calls) == 0


def test_a_token_the_instance_rejects_is_refused(app, client, saleor):
    saleor.post(API_URL, status=401, json={"errors": [{"message": "Invalid token"}]})

    response = install(client)

    assert (response.status_code, response.json["error"]["code"]) == (401, "INVALID_AUTH_TOKEN")
    assert count(app, Shop) == 0


def test_a_token_answered_with_graphql_errors_is_refused(app, client, saleor):
    saleor.post(API_URL, json={"errors": [{"message": "Invalid token."}], "data": None})

    response = install(client)

    assert response.status_code == 401
    assert count(app, Shop) == 0


def test_a_token_that_is_no_app_is_refused(app, client, saleor):
    saleor.post(API_URL, json=who_am_i(app_id=None))

    response = install(client)

    assert (response.status_code, response.json["error"]["code"]) == (401, "UNKNOWN_APP_ID")
    assert count(app, Shop) == 0


def test_an_instance_that_does_not_answer_fails_the_install_with_502(app, client, saleor):
    saleor.post(API_URL, status=503)

    response = install(client)

    assert (response.status_code, response.json["error"]["code"]) == (502, "SALEOR_UNREACHABLE")
    assert count(app, Shop) == 0


def test_a_request_without_a_token_is_refused(app, client, saleor):
    response = client.post("/saleor/register", json={}, headers={"Saleor-Api-Url": API_URL})

    assert (response.status_code, response.json["error"]["code"]) == (400, "MISSING_AUTH_TOKEN")


def test_a_request_without_an_api_url_is_refused(app, client, saleor):
    response = install(client, api_url=None)

    assert (response.status_code, response.json["error"]["code"]) == (400, "MISSING_SALEOR_API_URL")


def test_a_retried_install_with_a_new_token_keeps_the_latest(app, client, saleor):
    saleor.post(API_URL, json=who_am_i())
    install(client, token="first-token")

    install(client, token="second-token")

    (shop,) = rows(app, Shop)
    assert app.extensions["storeflow"].cipher.decrypt(shop.access_token_enc) == "second-token"


def test_a_reinstall_after_app_deleted_installs_again(app, client, saleor, factory):
    factory.shop(domain=API_URL, platform="saleor", installed=False, settings={"checkout_url_template": "x"})
    saleor.post(API_URL, json=who_am_i())

    install(client)

    (shop,) = rows(app, Shop)
    assert shop.is_installed
    assert shop.settings["checkout_url_template"] == "x"  # the merchant's settings survive


def test_app_deleted_uninstalls_discards_the_token_and_stops_the_flows(app, client, saleor, harness, factory):
    # given an installation with a running recovery flow
    saleor.post(API_URL, json=who_am_i())
    install(client)
    serve_jwks(saleor, signing_key("k1"))
    shop = rows(app, Shop)[0]
    factory.enable(shop, "abandoned_checkout")
    with app.app_context():
        contact = factory.contact(shop, email="linda@example.com", email_consent="subscribed")
        factory.session.add(
            Enrollment(
                shop_id=shop.id,
                flow_key="abandoned_checkout",
                subject_key="checkout:abc",
                contact_id=contact.id,
                state="active",
                step_index=1,
                anchor_at=harness.clock.now() + timedelta(hours=1),
                last_activity_at=harness.clock.now(),
                started_at=harness.clock.now(),
                next_run_at=harness.clock.now() + timedelta(hours=1),
            )
        )
        factory.session.commit()
    harness.clock.advance(timedelta(minutes=5))

    # when Saleor tells us the app was deleted
    issued = harness.clock.now().isoformat()
    response = deliver(client, "APP_DELETED", {"issuedAt": issued, "app": {"id": APP_ID}})
    harness.drain()

    # then the installation is gone and its flows stopped
    assert response.status_code == 200
    (shop,) = rows(app, Shop)
    assert not shop.is_installed
    assert shop.access_token_enc is None
    assert rows(app, Enrollment)[0].state == "cancelled"


def test_an_app_deleted_from_before_a_reinstall_is_ignored(app, client, saleor, harness):
    saleor.post(API_URL, json=who_am_i())
    serve_jwks(saleor, signing_key("k1"))
    install(client)
    stale = (harness.clock.now() - timedelta(hours=1)).isoformat()

    deliver(client, "APP_DELETED", {"issuedAt": stale, "app": {"id": APP_ID}})
    harness.drain()

    assert rows(app, Shop)[0].is_installed
