"""The shop's language: Shopify's primary published locale at install; a merchant's choice in Settings.

Shoppers whose own language has no translation get their messages in it (app/messaging/languages.py).
Saleor's API names a shop's supported languages (``shop { languages }``) but no default one, so a
Saleor shop's language is the merchant's to set in Settings.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx

from app.db import db
from app.db.models import Shop
from tests.support.admin import log_in
from tests.support.db import rows
from tests.support.shopify_api import FakeAdminApi
from tests.test_shopify_webhook_registration import installed

GERMAN_FIRST = [{"locale": "en", "primary": False}, {"locale": "de", "primary": True}]


@pytest.fixture
def services(app):
    return app.extensions["storeflow"]


@pytest.fixture
def fake_api(respx_mock: respx.MockRouter) -> Iterator[FakeAdminApi]:
    api = FakeAdminApi(locales=GERMAN_FIRST)
    api.mount(respx_mock)
    yield api


def test_the_install_keeps_the_shops_primary_published_locale(app, services, clock, harness, fake_api):
    installed(app, services, clock)
    harness.drain()

    assert rows(app, Shop)[0].settings["locale"] == "de"


def test_a_shop_that_did_not_grant_read_locales_keeps_its_profile_and_language(
    app, services, clock, harness, fake_api
):
    fake_api.granted = fake_api.granted.replace(",read_locales", "")
    installed(app, services, clock)
    harness.drain()

    (shop,) = rows(app, Shop)
    assert (shop.name, shop.settings.get("locale")) == ("Demo Shop", None)


def test_a_language_the_merchant_chose_is_not_overridden_by_the_platform(
    app, services, clock, harness, fake_api
):
    shop_id = installed(app, services, clock)
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        shop.settings = {**(shop.settings or {}), "locale": "fr", "locale_chosen": True}
        db.session.commit()
    harness.drain()

    assert rows(app, Shop)[0].settings["locale"] == "fr"


def test_a_merchant_sets_the_shop_language_in_settings(app, client, factory):
    shop = factory.shop(platform="saleor", domain="https://saleor.example/graphql/")
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/settings/shop-language", data={"csrf_token": csrf, "shop_language": "DE_at"}
    )

    assert response.status_code in (200, 302, 303)
    assert rows(app, Shop)[0].settings["locale"] == "de-AT"
    assert "German (Austria)" in client.get("/admin/settings").text


def test_a_language_code_nobody_knows_is_refused_at_its_field(app, client, factory):
    shop = factory.shop()
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/settings/shop-language", data={"csrf_token": csrf, "shop_language": "klingon!"}
    )

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text and "is not a language Storeflow knows" in response.text
    assert "locale" not in (rows(app, Shop)[0].settings or {})
