"""After install: shop details and webhook subscriptions through the Admin GraphQL API, and the app toml.

https://shopify.dev/docs/api/admin-graphql/latest/mutations/webhookSubscriptionCreate
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import respx
from flask import Flask

from app.core.clock import ManualClock
from app.db import db
from app.db.models import Shop
from app.jobs.installs import shopify_set_up
from app.jobs.services import Services
from app.platforms.shopify.errors import ShopifyApiError
from app.platforms.shopify.graphql import ShopifyAdmin
from app.platforms.shopify.installation import install_shop
from app.platforms.shopify.tokens import ShopifyTokens
from app.platforms.shopify.webhook_registration import register_webhooks
from tests.support.db import rows
from tests.support.shopify import SHOP_DOMAIN
from tests.support.shopify_api import API_VERSION, SCOPES, SHOP_ID, SHOP_PROFILE, FakeAdminApi, graphql_url
from tests.support.worker import Harness
from webhooks.shopify.topics import API_REGISTERED_TOPICS, COMPLIANCE_TOPICS, TOPIC_KINDS, graphql_topic

CALLBACK_URL = "https://storeflow.test/webhooks/shopify"
APP_TOML = Path(__file__).resolve().parents[1] / "shopify.app.toml"


@pytest.fixture
def services(app: Flask) -> Services:
    services: Services = app.extensions["storeflow"]
    return services


@pytest.fixture
def fake_api(respx_mock: respx.MockRouter) -> Iterator[FakeAdminApi]:
    api = FakeAdminApi()
    api.mount(respx_mock)
    yield api


def installed(app: Flask, services: Services, clock: ManualClock) -> int:
    """Install the demo shop the way both install paths do; return its id."""
    with app.app_context():
        shop = install_shop(
            db.session(),
            services,
            SHOP_DOMAIN,
            access_token="shpat_live",
            scope=SCOPES,
            expires_at=clock.now() + timedelta(hours=1),
            refresh_token="shprt_live",
            refresh_token_expires_at=clock.now() + timedelta(days=90),
            set_up=shopify_set_up(services),
        )
        return shop.id


def admin_api(services: Services, shop_id: int) -> ShopifyAdmin:
    """Return an Admin API client for a stored shop; call it inside an app context."""
    shop = db.session.get(Shop, shop_id)
    assert shop is not None
    return ShopifyAdmin(shop, ShopifyTokens(db.session(), services), API_VERSION)


def test_after_install_copies_the_shop_profile(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    installed(app, services, clock)

    harness.drain()

    [shop] = rows(app, Shop)
    assert (shop.name, shop.email, shop.currency, shop.timezone, shop.storefront_url) == (
        SHOP_PROFILE["name"],
        SHOP_PROFILE["email"],
        "EUR",
        "Europe/Berlin",
        "https://shop.demo.test",
    )


def test_after_install_remembers_the_shops_numeric_id_which_its_webhook_bodies_name_it_by(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    installed(app, services, clock)

    harness.drain()

    [shop] = rows(app, Shop)
    assert shop.platform_shop_id == SHOP_ID


def test_after_install_calls_the_configured_api_version_with_the_shops_token(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, respx_mock: respx.MockRouter
) -> None:
    api = FakeAdminApi()
    route = api.mount(respx_mock)
    installed(app, services, clock)

    harness.drain()

    assert str(route.calls.last.request.url) == graphql_url(version=API_VERSION)
    assert set(api.tokens) == {"shpat_live"}


def test_after_install_registers_every_api_topic_once_in_one_mutation(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    installed(app, services, clock)

    harness.drain()

    [mutation] = fake_api.mutations()
    assert sorted(fake_api.created_topics()) == sorted(graphql_topic(t) for t in API_REGISTERED_TOPICS)
    [registration] = [b for b in fake_api.bodies if b["query"] == mutation]
    assert registration["variables"] == {"uri": CALLBACK_URL}
    assert "format: JSON" in mutation


def test_compliance_topics_are_never_registered_through_the_api(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    installed(app, services, clock)

    harness.drain()

    assert not {graphql_topic(t) for t in COMPLIANCE_TOPICS} & set(fake_api.created_topics())


def test_already_registered_topics_are_skipped(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    fake_api.existing = [
        {"topic": "ORDERS_CREATE", "uri": CALLBACK_URL},
        {"topic": "APP_UNINSTALLED", "uri": CALLBACK_URL},
        {"topic": "CHECKOUTS_CREATE", "uri": "https://old-host.example/webhooks/shopify"},
    ]
    installed(app, services, clock)

    harness.drain()

    created = fake_api.created_topics()
    assert "ORDERS_CREATE" not in created
    assert "APP_UNINSTALLED" not in created
    assert "CHECKOUTS_CREATE" in created  # subscribed elsewhere: we still need our own
    assert len(created) == len(API_REGISTERED_TOPICS) - 2


def test_nothing_is_created_when_every_topic_is_registered(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    fake_api.existing = [{"topic": graphql_topic(t), "uri": CALLBACK_URL} for t in API_REGISTERED_TOPICS]
    installed(app, services, clock)

    harness.drain()

    assert fake_api.mutations() == []


@pytest.mark.parametrize("config_changes", [{"shopify_register_webhooks": False}])
def test_registration_is_skipped_when_the_app_toml_manages_webhooks(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    installed(app, services, clock)

    harness.drain()

    assert [b["query"] for b in fake_api.bodies if "webhookSubscription" in b["query"]] == []
    assert rows(app, Shop)[0].name == SHOP_PROFILE["name"]


def test_user_errors_are_reported(
    app: Flask, services: Services, clock: ManualClock, fake_api: FakeAdminApi
) -> None:
    fake_api.user_errors = {"CUSTOMERS_CREATE": "This app is not approved to subscribe to webhook topics"}
    shop_id = installed(app, services, clock)

    with (
        app.app_context(),
        pytest.raises(ShopifyApiError, match="customers/create: This app is not approved"),
    ):
        register_webhooks(admin_api(services, shop_id), CALLBACK_URL)


def test_graphql_errors_raise(
    app: Flask, services: Services, clock: ManualClock, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(graphql_url()).respond(
        json={"errors": [{"message": "Field 'nope' doesn't exist on type 'Shop'"}]}
    )
    shop_id = installed(app, services, clock)

    with app.app_context(), pytest.raises(ShopifyApiError, match="Field 'nope' doesn't exist"):
        admin_api(services, shop_id).execute("{ shop { nope } }")


def test_app_toml_declares_every_topic_storeflow_handles() -> None:
    config = tomllib.loads(APP_TOML.read_text())
    subscriptions = config["webhooks"]["subscriptions"]

    topics = [t for s in subscriptions for t in s.get("topics", [])]
    compliance = [t for s in subscriptions for t in s.get("compliance_topics", [])]
    assert sorted(topics) == sorted(API_REGISTERED_TOPICS)
    assert sorted(topics + compliance) == sorted(TOPIC_KINDS)
    assert {s["uri"] for s in subscriptions} == {"/webhooks/shopify"}
    assert config["webhooks"]["api_version"] == API_VERSION
    assert config["access_scopes"]["scopes"] == SCOPES
    assert config["embedded"] is True


def test_app_toml_keeps_compliance_topics_in_their_own_subscription() -> None:
    subscriptions = tomllib.loads(APP_TOML.read_text())["webhooks"]["subscriptions"]

    [privacy] = [s for s in subscriptions if "compliance_topics" in s]
    assert "topics" not in privacy
    assert set(privacy["compliance_topics"]) == COMPLIANCE_TOPICS
