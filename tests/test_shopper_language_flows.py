"""A shopper's language, end to end: signed webhook → relay → worker → steps → outbox, on both platforms.

The payloads are the bundled real samples with the shopper's language set as each platform writes it
(Shopify's ``customer_locale``, Saleor's ``languageCode``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses

from app.db.models import Decision, Message
from tests.support import saleor as saleor_support
from tests.support.admin import log_in
from tests.support.db import rows
from tests.support.shopify import deliver
from tests.test_flows_shopify import checkout_payload
from tests.test_saleor_flows import TEMPLATE as SALEOR_CHECKOUT_URL
from tests.test_saleor_flows import checkout_payload as saleor_checkout_payload

FIRST_EMAIL_DUE = timedelta(hours=1, minutes=1)


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": saleor_support.ALLOWLIST}


@pytest.fixture
def shop(factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    return shop


@pytest.fixture
def saleor_shop(factory):
    shop = factory.shop(
        domain=saleor_support.API_URL,
        platform="saleor",
        name="Demo Saleor Store",
        settings={"checkout_url_template": SALEOR_CHECKOUT_URL},
    )
    factory.enable(shop, "abandoned_checkout")
    return shop


@pytest.fixture
def saleor_keys():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        saleor_support.serve_jwks(mock, saleor_support.signing_key("k1"))
        yield mock


def first_email(app, client, harness, locale):
    deliver(client, "checkouts/create", checkout_payload(harness.clock, customer_locale=locale))
    harness.drain()
    harness.advance(FIRST_EMAIL_DUE)
    (message,) = rows(app, Message, channel="email")
    return message


def sent_decision(app, message):
    (decision,) = rows(app, Decision, message_id=message.id, outcome="sent")
    return decision


def test_a_german_shopify_shopper_gets_the_german_email_with_german_money(app, client, harness, shop):
    message = first_email(app, client, harness, "de-DE")

    assert message.status == "sent"
    assert message.subject == "John, Ihr Warenkorb bei Demo Shop wartet"
    assert "Bestellung abschließen:" in message.body_text
    assert "Summe: 421,88\xa0$" in message.body_text  # German numbers, the checkout's own currency
    assert '<html lang="de"' in message.body_html


def test_the_decision_log_says_the_email_was_sent_in_german(app, client, harness, shop):
    message = first_email(app, client, harness, "de")
    decision = sent_decision(app, message)

    assert decision.reason == "sent in German"
    assert decision.facts["language"] == "de"
    log_in(client, shop.id)
    assert "Sent in German" in client.get(f"/admin/messages/{message.id}").text
    assert "Language: German" in client.get(f"/admin/contacts/{message.contact_id}").text


def test_a_shopper_whose_language_has_no_translation_gets_the_shops_default(app, client, harness, shop):
    message = first_email(app, client, harness, "ja-JP")

    assert message.subject.endswith("cart at Demo Shop is waiting")
    assert "Total: $421.88" in message.body_text
    assert sent_decision(app, message).reason == "sent"


def test_a_hostile_locale_still_reaches_the_shopper_in_english(app, client, harness, shop):
    message = first_email(app, client, harness, "x" * 300)

    assert (message.status, message.subject.endswith("is waiting")) == ("sent", True)


def test_a_merchants_german_translation_wins_over_the_bundled_one(app, client, harness, factory):
    subject = {"subject": "Noch da, {{ contact.first_name }}?"}
    translations = {"translations": {"de": {"abandoned_checkout_1": subject}}}
    factory.enable(factory.shop(), "abandoned_checkout", abandoned_checkout=translations)

    message = first_email(app, client, harness, "de-AT")

    assert message.subject == "Noch da, John?"
    assert "Bestellung abschließen:" in message.body_text  # the parts it left alone stay the catalogue's


def test_a_saleor_shopper_with_language_code_de_gets_the_german_email(
    app, client, harness, saleor_shop, saleor_keys
):
    saleor_support.deliver(
        client, "CHECKOUT_CREATED", saleor_checkout_payload(harness.clock, languageCode="DE")
    )
    harness.drain()
    harness.advance(FIRST_EMAIL_DUE)

    (message,) = rows(app, Message, channel="email")
    assert message.status == "sent"
    assert "Ihr Warenkorb bei Demo Saleor Store wartet" in message.subject
    assert "- 2 x T-Shirt: 40,00\xa0$ pro Stück" in message.body_text  # the checkout's currency
    assert sent_decision(app, message).reason == "sent in German"


def test_a_hostile_saleor_language_code_still_reaches_the_shopper_in_english(
    app, client, harness, saleor_shop, saleor_keys
):
    payload = saleor_checkout_payload(harness.clock, languageCode="example string " * 20)
    saleor_support.deliver(client, "CHECKOUT_CREATED", payload)
    harness.drain()
    harness.advance(FIRST_EMAIL_DUE)

    (message,) = rows(app, Message, channel="email")
    assert (message.status, message.subject) == ("sent", "Linda, your cart at Demo Saleor Store is waiting")
