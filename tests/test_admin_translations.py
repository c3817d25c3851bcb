"""Translations in the template editor: which languages a step has, which one a shopper would get,
and a merchant's translation of any step into any language, saved beside the step's own edits."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from app.db.models import FlowSetting, Message
from app.messaging.languages import translated_source
from tests.support.admin import log_in
from tests.support.db import rows
from tests.support.store import abandon_checkout

EDITOR = "/admin/flows/abandoned_checkout/templates/first_email"
PAGE = "/admin/flows/abandoned_checkout/steps/first_email"
TEMPLATE = "abandoned_checkout_1"
PARTS = ("subject", "text", "html")


@pytest.fixture
def shop(factory):
    shop = factory.shop(name="Alpha Goods")
    factory.enable(shop, "abandoned_checkout")
    return shop


def post(client, csrf, lang, path="", **fields):
    """Post the editor for a language with that language's bundled parts, some replaced."""
    data = {"csrf_token": csrf, "lang": lang}
    data.update({f"part_{p}": fields.pop(p, translated_source(TEMPLATE, p, lang)) for p in PARTS})
    return client.post(EDITOR + path, data={**data, **fields})


def translations(app):
    return rows(app, FlowSetting)[0].overrides.get("translations")


def test_the_editor_lists_the_steps_languages_and_who_gets_which(client, shop):
    log_in(client, shop.id)

    page = html.unescape(client.get(PAGE).text)

    assert 'English <span class="muted small">· catalogue default' in page
    assert 'German <span class="muted small">· catalogue translation' in page
    assert 'id="fallback-language">English<' in page


def test_the_german_version_opens_with_the_catalogues_german(client, shop):
    log_in(client, shop.id)

    page = html.unescape(client.get(PAGE + "?lang=de").text)

    assert "Warenkorb bei {{ shop.name }} wartet" in page
    assert '<input type="hidden" name="lang" value="de">' in page
    assert "You are editing the <strong>German</strong> version" in page


def test_a_german_shop_tells_the_merchant_its_shoppers_get_german(client, factory):
    shop = factory.shop(domain="beta.myshopify.com", settings={"locale": "de"})
    log_in(client, shop.id)

    assert 'id="fallback-language">German<' in client.get(PAGE).text


def test_a_changed_german_subject_is_stored_alone_in_the_german_translation(app, client, shop):
    csrf = log_in(client, shop.id)

    response = post(client, csrf, "de", subject="Noch da, {{ contact.first_name }}?")

    assert response.status_code == 303 and "lang=de" in response.headers["Location"]
    assert translations(app) == {"de": {TEMPLATE: {"subject": "Noch da, {{ contact.first_name }}?"}}}
    assert "templates" not in rows(app, FlowSetting)[0].overrides  # the English step is untouched


def test_a_new_language_keeps_every_part_so_nothing_falls_back_to_english_mid_message(app, client, shop):
    csrf = log_in(client, shop.id)

    post(
        client, csrf, "fr", subject="Votre panier chez {{ shop.name }}", text="Bonjour", html="<p>Bonjour</p>"
    )

    assert translations(app)["fr"][TEMPLATE] == {
        "subject": "Votre panier chez {{ shop.name }}",
        "text": "Bonjour",
        "html": "<p>Bonjour</p>",
    }


def test_a_broken_translation_is_refused_at_its_part(app, client, shop):
    csrf = log_in(client, shop.id)

    response = post(client, csrf, "de", subject="Hallo {{ contact.first_name ")

    assert response.status_code == 400
    assert translations(app) is None


def test_resetting_a_translation_removes_it(app, client, shop):
    csrf = log_in(client, shop.id)
    post(client, csrf, "de", subject="Noch da?")

    post(client, csrf, "de", action="reset")

    assert translations(app) == {}


def test_the_preview_of_a_translation_writes_money_the_languages_way(client, shop):
    csrf = log_in(client, shop.id)

    response = post(client, csrf, "de", path="/preview")

    assert response.json["error"] is None
    assert "Summe: 106,00\xa0$" in response.json["text"]


def test_a_saved_translation_reaches_a_shopper_of_that_language(app, client, harness, shop):
    csrf = log_in(client, shop.id)
    post(client, csrf, "de", subject="Noch da, {{ contact.first_name }}?")

    abandon_checkout(client, harness, customer_locale="de-CH")
    harness.advance(timedelta(hours=1))

    (message,) = rows(app, Message, channel="email")
    assert message.subject == "Noch da, John?"
