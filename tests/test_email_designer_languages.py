"""A step's design in other languages (issue 19): the designer opens a language with ``?lang=`` as a
copy of the step's design, saves, previews and resets it, and a shopper in that language gets it."""

from __future__ import annotations

import json

import pytest

from app.db.models import FlowSetting
from app.design.brand import DEFAULT_BRAND
from app.messaging.designed import render_message
from app.messaging.languages import choose_language
from tests.support.admin import log_in
from tests.support.db import rows
from tests.test_email_designer import _context
from tests.test_shopper_language_flows import first_email, sent_decision

TEMPLATE = "abandoned_checkout_1"
DESIGNER = "/admin/flows/abandoned_checkout/design/first_email"
ENGLISH = {
    "subject": "{first_name}, your cart is waiting",
    "blocks": [
        {"type": "text", "text": "Hi {first_name}, you left these behind.", "style": "heading"},
        {"type": "cart_lines", "show_total": True},
        {"type": "button", "label": "Return to checkout", "target": "recovery"},
    ],
}
GERMAN = {
    "subject": "{first_name}, Ihr Warenkorb wartet",
    "blocks": [
        {"type": "text", "text": "Hallo {first_name}, Sie haben etwas vergessen.", "style": "heading"},
        {"type": "cart_lines", "show_total": True},
        {"type": "button", "label": "Zur Kasse", "target": "recovery"},
    ],
}


@pytest.fixture
def shop(factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout", abandoned_checkout={"designs": {TEMPLATE: ENGLISH}})
    return shop


def post_design(client, csrf, design, action="", lang="de"):
    return client.post(
        f"{DESIGNER}{action}?lang={lang}",
        data=json.dumps(design),
        headers={"X-CSRFToken": csrf, "Content-Type": "application/json"},
    )


def test_the_designer_in_german_shows_the_language_strip_and_a_copy_of_the_steps_design(client, shop):
    log_in(client, shop.id)

    page = client.get(DESIGNER + "?lang=de").text

    assert 'id="step-languages"' in page
    assert f'href="{DESIGNER}?lang=de#designer" aria-current="page"' in page
    assert "You are editing the <strong>German</strong> version" in page
    assert "Hi {first_name}, you left these behind." in page  # the step's design, to translate
    assert "a copy of your design to translate" in page


def test_the_german_designer_warns_when_a_jinja_german_body_is_sent_instead(app, client, factory):
    shop = factory.shop()
    translation = {"translations": {"de": {TEMPLATE: {"html": "<p>Entwickler</p>"}}}}
    factory.enable(shop, "abandoned_checkout", abandoned_checkout=translation)
    log_in(client, shop.id)

    assert 'id="jinja-wins"' in client.get(DESIGNER + "?lang=de").text
    assert 'id="jinja-wins"' not in client.get(DESIGNER).text


def test_a_german_design_is_stored_beside_the_steps_own(app, client, shop):
    csrf = log_in(client, shop.id)

    response = post_design(client, csrf, GERMAN)

    assert response.json == {"saved": True, "errors": []}
    (setting,) = rows(app, FlowSetting)
    assert setting.overrides["design_translations"]["de"][TEMPLATE]["subject"] == GERMAN["subject"]
    assert setting.overrides["designs"][TEMPLATE]["subject"] == ENGLISH["subject"]
    page = client.get(DESIGNER + "?lang=de").text
    assert "Sie haben etwas vergessen" in page and "Saved design" in page
    assert "your design" in client.get(DESIGNER).text  # the strip names the German design


def test_the_german_preview_writes_money_the_german_way(client, shop):
    csrf = log_in(client, shop.id)

    preview = post_design(client, csrf, GERMAN, "/preview").json

    assert preview["subject"] == "Jane, Ihr Warenkorb wartet"
    assert "Sie haben etwas vergessen" in preview["html"]
    assert "58,00" in preview["text"] and "58.00" not in preview["text"]


def test_a_german_design_saved_in_the_designer_is_what_a_german_shopper_gets(app, client, harness, shop):
    post_design(client, log_in(client, shop.id), GERMAN)

    message = first_email(app, client, harness, "de-DE")

    assert message.subject == "John, Ihr Warenkorb wartet"
    assert "Sie haben etwas vergessen" in message.body_html
    assert "Zur Kasse" in message.body_text
    assert sent_decision(app, message).reason == "sent in German"


def test_a_german_design_is_framed_in_german(app, client, harness, shop):
    post_design(client, log_in(client, shop.id), GERMAN)

    message = first_email(app, client, harness, "de-DE")

    assert '<html lang="de"' in message.body_html
    assert "Summe" in message.body_text and "Abmelden" in message.body_text
    assert "Unsubscribe" not in message.body_text and "421,88" in message.body_text


def test_an_english_shopper_still_gets_the_shop_language_design(app, client, harness, shop):
    post_design(client, log_in(client, shop.id), GERMAN)

    message = first_email(app, client, harness, "en-US")

    assert message.subject == "John, your cart is waiting"
    assert "you left these behind" in message.body_html
    assert '<html lang="en"' in message.body_html and "Unsubscribe" in message.body_text
    assert sent_decision(app, message).reason == "sent"


def test_removing_the_german_design_sends_german_shoppers_the_bundled_translation(app, client, harness, shop):
    csrf = log_in(client, shop.id)
    post_design(client, csrf, GERMAN)

    response = client.post(DESIGNER + "/remove", data={"csrf_token": csrf, "lang": "de"})

    assert response.status_code == 303 and response.location.endswith("?lang=de")
    (setting,) = rows(app, FlowSetting)
    assert setting.overrides["design_translations"] == {}
    assert setting.overrides["designs"][TEMPLATE] == ENGLISH
    message = first_email(app, client, harness, "de-DE")
    assert message.subject == "John, Ihr Warenkorb bei Demo Shop wartet"  # the catalogue's German


def test_the_merchants_german_design_beats_the_bundled_german_template():
    overrides = {"design_translations": {"de": {TEMPLATE: GERMAN}}}

    choice = choose_language(TEMPLATE, "de-AT", "en", overrides)

    assert (choice.language, choice.source, choice.design) == ("de", "design", GERMAN)


def test_a_bundled_translation_in_the_shoppers_language_beats_the_design_in_the_shops():
    choice = choose_language(TEMPLATE, "de", "en", {"designs": {TEMPLATE: ENGLISH}})

    assert (choice.language, choice.source, choice.design) == ("de", "bundled", None)


def test_a_jinja_body_translation_takes_precedence_over_the_design_in_that_language():
    overrides = {
        "design_translations": {"de": {TEMPLATE: GERMAN}},
        "translations": {"de": {TEMPLATE: {"text": "Entwickler-Text"}}},
    }

    assert choose_language(TEMPLATE, "de", "en", overrides).source == "translation"


def test_a_design_in_a_language_the_frame_lacks_is_framed_in_english():
    choice = choose_language(TEMPLATE, "ja", "en", {"design_translations": {"ja": {TEMPLATE: GERMAN}}})

    rendered = render_message(TEMPLATE, "email", {**_context(), "lang": "ja"}, {}, DEFAULT_BRAND, choice)

    assert choice.source == "design" and "Unsubscribe" in rendered.text


def test_a_german_design_that_no_longer_reads_falls_back_to_the_german_template_and_says_why():
    broken = {"blocks": [{"type": "button", "label": "x", "target": "custom", "url": "javascript:x"}]}
    choice = choose_language(TEMPLATE, "de", "en", {"design_translations": {"de": {TEMPLATE: broken}}})

    rendered = render_message(TEMPLATE, "email", {**_context(), "lang": "de"}, {}, DEFAULT_BRAND, choice)

    assert rendered.fallback is not None and rendered.fallback.startswith("design: block 1, url:")
    assert "Ihr Warenkorb" in rendered.subject  # the catalogue's German, not English
