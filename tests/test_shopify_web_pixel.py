"""The web pixel is switched on by the install and kept current, with no step for the merchant.

https://shopify.dev/docs/api/admin-graphql/latest/mutations/webPixelCreate
https://shopify.dev/docs/api/admin-graphql/latest/mutations/webPixelUpdate
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import respx
from flask import Flask
from flask.testing import FlaskClient

from app.core.clock import ManualClock
from app.db import db
from app.db.models import Shop
from app.jobs.installs import shopify_set_up
from app.jobs.services import Services
from app.platforms.shopify.installation import install_shop
from app.platforms.shopify.web_pixel import SETTINGS_KEY, needs_pixel_sync
from tests.support.admin import log_in
from tests.support.db import rows
from tests.support.shopify import SHOP_DOMAIN
from tests.support.shopify_api import SCOPES, FakeAdminApi
from tests.support.worker import Harness

PIXEL_TOML = Path(__file__).resolve().parents[1] / "extensions" / "storeflow-pixel" / "shopify.extension.toml"
EVENTS_URL = "https://storeflow.test/storefront/events"


@pytest.fixture
def services(app: Flask) -> Services:
    services: Services = app.extensions["storeflow"]
    return services


@pytest.fixture
def fake_api(respx_mock: respx.MockRouter) -> Iterator[FakeAdminApi]:
    api = FakeAdminApi()
    api.mount(respx_mock)
    yield api


def install(app: Flask, services: Services, clock: ManualClock) -> int:
    """Install the demo shop as both install paths do (its after-install job is queued); return its id."""
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


def the_shop(app: Flask) -> Shop:
    [shop] = rows(app, Shop)
    return shop


def change_shop(app: Flask, **fields: object) -> None:
    with app.app_context():
        shop = db.session.get(Shop, the_shop(app).id)
        assert shop is not None
        for name, value in fields.items():
            setattr(shop, name, value)
        db.session.commit()
        db.session.remove()


def sent_settings(variables: dict) -> dict:
    """The settings a pixel mutation carried (Shopify's JSON scalar, sent as a JSON string)."""
    return json.loads(variables["webPixel"]["settings"])


def test_the_install_creates_the_pixel_with_the_shops_storefront_key_and_events_url(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    install(app, services, clock)

    harness.drain()

    [(field, variables)] = fake_api.pixel_mutations()
    shop = the_shop(app)
    assert field == "webPixelCreate"
    assert sent_settings(variables) == {"storefrontKey": shop.storefront_key, "endpoint": EVENTS_URL}
    assert shop.settings[SETTINGS_KEY]["id"] in fake_api.pixels
    assert shop.settings[SETTINGS_KEY]["problem"] is None


def test_the_pixel_settings_are_exactly_the_fields_the_extension_declares(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    fields = tomllib.loads(PIXEL_TOML.read_text())["settings"]["fields"]
    install(app, services, clock)

    harness.drain()

    [(_, variables)] = fake_api.pixel_mutations()
    settings = sent_settings(variables)
    assert set(settings) == set(fields)
    for name, field in fields.items():
        assert field["type"] == "single_line_text_field"
        minimum = next(int(v["value"]) for v in field["validations"] if v["name"] == "min")
        assert isinstance(settings[name], str) and len(settings[name]) >= minimum


def test_a_pixel_already_in_the_shop_is_looked_up_and_updated_rather_than_made_twice(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    fake_api.pixels = {"gid://shopify/WebPixel/77": '{"storefrontKey":"old","endpoint":"https://old.test"}'}
    install(app, services, clock)

    harness.drain()

    assert [field for field, _ in fake_api.pixel_mutations()] == ["webPixelCreate", "webPixelUpdate"]
    assert fake_api.pixel_mutations()[-1][1]["id"] == "gid://shopify/WebPixel/77"
    assert json.loads(fake_api.pixels["gid://shopify/WebPixel/77"])["endpoint"] == EVENTS_URL
    assert the_shop(app).settings[SETTINGS_KEY]["id"] == "gid://shopify/WebPixel/77"


def test_a_changed_storefront_key_updates_the_pixel_when_the_merchant_opens_the_admin(
    app: Flask,
    client: FlaskClient,
    services: Services,
    clock: ManualClock,
    harness: Harness,
    fake_api: FakeAdminApi,
) -> None:
    shop_id = install(app, services, clock)
    harness.drain()
    pixel_id = the_shop(app).settings[SETTINGS_KEY]["id"]
    change_shop(app, storefront_key="rotated-key-0123456789")

    log_in(client, shop_id)
    harness.drain()

    field, variables = fake_api.pixel_mutations()[-1]
    assert (field, variables["id"]) == ("webPixelUpdate", pixel_id)
    assert sent_settings(variables)["storefrontKey"] == "rotated-key-0123456789"


def test_a_moved_app_url_updates_the_pixel_when_the_merchant_opens_the_admin(
    app: Flask,
    client: FlaskClient,
    services: Services,
    clock: ManualClock,
    harness: Harness,
    fake_api: FakeAdminApi,
) -> None:
    shop_id = install(app, services, clock)
    harness.drain()
    state = the_shop(app).settings[SETTINGS_KEY]
    old = {**state, "settings": {**state["settings"], "endpoint": "https://old-host.test/storefront/events"}}
    change_shop(app, settings={**the_shop(app).settings, SETTINGS_KEY: old})

    log_in(client, shop_id)
    harness.drain()

    field, variables = fake_api.pixel_mutations()[-1]
    assert field == "webPixelUpdate"
    assert sent_settings(variables)["endpoint"] == EVENTS_URL


def test_a_current_pixel_is_left_alone_when_the_merchant_opens_the_admin(
    app: Flask,
    client: FlaskClient,
    services: Services,
    clock: ManualClock,
    harness: Harness,
    fake_api: FakeAdminApi,
) -> None:
    shop_id = install(app, services, clock)
    harness.drain()
    sent = len(fake_api.bodies)

    log_in(client, shop_id)
    harness.drain()

    assert len(fake_api.bodies) == sent


def test_a_pixel_the_merchant_deleted_is_made_again(
    app: Flask,
    client: FlaskClient,
    services: Services,
    clock: ManualClock,
    harness: Harness,
    fake_api: FakeAdminApi,
) -> None:
    shop_id = install(app, services, clock)
    harness.drain()
    fake_api.pixels.clear()
    change_shop(app, storefront_key="rotated-key-0123456789")

    log_in(client, shop_id)
    harness.drain()

    assert [field for field, _ in fake_api.pixel_mutations()][-2:] == ["webPixelUpdate", "webPixelCreate"]
    assert the_shop(app).settings[SETTINGS_KEY]["id"] in fake_api.pixels


def test_without_the_pixel_scopes_the_admin_says_what_to_do_and_nothing_is_sent(
    app: Flask,
    client: FlaskClient,
    services: Services,
    clock: ManualClock,
    harness: Harness,
    fake_api: FakeAdminApi,
) -> None:
    fake_api.granted = "read_orders,read_customers,read_products,read_inventory,write_discounts"
    shop_id = install(app, services, clock)

    harness.drain()

    assert fake_api.pixel_mutations() == []
    problem = the_shop(app).settings[SETTINGS_KEY]["problem"]
    assert "write_pixels and read_customer_events" in problem
    log_in(client, shop_id)
    page = client.get("/admin/settings")
    assert page.status_code == 200
    assert "approve the updated permissions" in page.text


def test_the_scopes_shopify_reports_replace_the_ones_stored_at_install(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    fake_api.granted = f"{SCOPES},read_themes"
    install(app, services, clock)

    harness.drain()

    assert the_shop(app).scopes == f"{SCOPES},read_themes"


def test_settings_shopify_refuses_are_recorded_as_the_shops_problem_not_raised(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    fake_api.pixel_error = {"code": "INVALID_SETTINGS", "message": "Settings do not match the definition"}
    install(app, services, clock)

    harness.drain()

    state = the_shop(app).settings[SETTINGS_KEY]
    assert (
        state["problem"]
        == "Shopify refused Storeflow's web pixel settings: Settings do not match the definition"
    )
    assert state["id"] is None


def test_a_pixel_extension_never_deployed_is_worded_as_the_operators_step(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    fake_api.pixel_error = {"code": "NO_EXTENSION", "message": "No extension found"}
    install(app, services, clock)

    harness.drain()

    assert "shopify app deploy" in the_shop(app).settings[SETTINGS_KEY]["problem"]


def test_after_a_problem_the_admin_tries_again_only_after_a_quarter_of_an_hour(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, fake_api: FakeAdminApi
) -> None:
    fake_api.granted = "read_orders"
    install(app, services, clock)
    harness.drain()
    shop = the_shop(app)

    assert not needs_pixel_sync(shop, services.config, clock.now() + timedelta(minutes=14))
    assert needs_pixel_sync(shop, services.config, clock.now() + timedelta(minutes=15))


def test_a_shop_whose_token_was_revoked_is_left_without_a_failed_job(
    app: Flask, services: Services, clock: ManualClock, harness: Harness, respx_mock: respx.MockRouter
) -> None:
    api = FakeAdminApi()
    route = api.mount(respx_mock)
    install(app, services, clock)
    route.side_effect = None
    route.return_value = httpx.Response(401, json={"errors": "[API] Invalid API key"})

    harness.drain()

    assert services.queue.failed_job_registry.count == 0
    assert SETTINGS_KEY not in the_shop(app).settings
