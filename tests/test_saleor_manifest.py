"""The app manifest Saleor installs from: least permissions, our URLs, one query per webhook."""

from __future__ import annotations

import pytest

from app.core.config import Config
from app.platforms.saleor.manifest import fingerprint, manifest, webhook_definitions
from webhooks.saleor.events import EVENTS


@pytest.fixture
def config():
    return Config.from_env({"APP_URL": "https://storeflow.example"})


@pytest.mark.parametrize("config_changes", [{"saleor_allowed_api_urls": ("https://*.saleor.test/graphql/",)}])
def test_the_manifest_endpoint_serves_the_manifest(app, client, config_changes):
    response = client.get("/saleor/manifest")

    assert response.status_code == 200
    assert response.json == manifest(app.extensions["storeflow"].config)


def test_the_manifest_names_the_app_and_the_saleor_versions_it_needs(config):
    document = manifest(config)

    assert document["id"] == "storeflow"
    assert document["name"] == "Storeflow"
    assert document["version"]
    assert document["requiredSaleorVersion"] == "^3.20"
    assert document["about"]


def test_the_manifest_asks_for_the_least_permissions_the_flows_need(config):
    assert sorted(manifest(config)["permissions"]) == [
        "MANAGE_CHECKOUTS",
        "MANAGE_DISCOUNTS",
        "MANAGE_ORDERS",
        "MANAGE_PRODUCTS",
        "MANAGE_USERS",
    ]


def test_the_manifest_points_saleor_at_our_endpoints(config):
    document = manifest(config)

    assert document["appUrl"] == "https://storeflow.example/saleor/app"
    assert document["tokenTargetUrl"] == "https://storeflow.example/saleor/register"
    assert document["dataPrivacyUrl"] == "https://storeflow.example/saleor/privacy"
    assert {w["targetUrl"] for w in document["webhooks"]} == {"https://storeflow.example/webhooks/saleor"}


def test_the_webhooks_subscribe_to_every_event_we_normalize_exactly_once(config):
    events = [event for webhook in manifest(config)["webhooks"] for event in webhook["asyncEvents"]]

    assert sorted(events) == sorted(event.name for event in EVENTS.values())


def test_every_webhook_has_a_subscription_query_that_asks_for_issued_at(config):
    for webhook in manifest(config)["webhooks"]:
        assert webhook["query"].startswith("subscription ")
        assert "event { issuedAt " in webhook["query"]  # what tells two events with equal data apart
        assert webhook["isActive"] is True


def test_each_query_selects_every_event_it_carries(config):
    for definition in webhook_definitions(config):
        for event in definition.events:
            assert f"... on {event.type_name} " in definition.query


def test_the_queries_ask_for_the_contact_fields_and_the_checkout_link(config):
    queries = {d.name: d.query for d in webhook_definitions(config)}

    assert "email" in queries["Storeflow checkouts"]
    assert "userEmail checkoutId" in queries["Storeflow orders"]
    assert "defaultBillingAddress" in queries["Storeflow customers"]


def test_the_queries_read_the_configured_consent_metadata_keys():
    config = Config.from_env(
        {"SALEOR_CONSENT_METADATA_KEY": "newsletter", "SALEOR_SMS_CONSENT_METADATA_KEY": "sms_ok"}
    )

    for definition in webhook_definitions(config)[:3]:
        assert 'emailConsent: metafield(key: "newsletter")' in definition.query
        assert 'smsConsent: metafield(key: "sms_ok")' in definition.query


def test_changing_a_query_changes_the_fingerprint_installations_are_compared_by(config):
    changed = config.replace(saleor_consent_metadata_key="newsletter")

    assert fingerprint(changed) != fingerprint(config)
    assert fingerprint(config) == fingerprint(Config.from_env({"APP_URL": "https://storeflow.example"}))


def test_moving_the_app_changes_the_fingerprint(config):
    assert fingerprint(config.replace(app_url="https://moved.example")) != fingerprint(config)
