"""Which language a shopper's message goes out in: the fallback chain, the translations, the formats."""

from __future__ import annotations

from datetime import date
from html import unescape

import pytest

from app.messaging.context import message_context
from app.messaging.languages import bundled_languages, choose_language, fallback_chain
from app.messaging.render import render
from tests.test_templates import UNSUBSCRIBE_URL, make_checkout, make_contact, make_order, make_shop

TEMPLATE = "abandoned_checkout_1"
GERMAN_SUBJECT = "John, Ihr Warenkorb bei Demo Shop wartet"
FRENCH = {"subject": "Votre panier chez {{ shop.name }}", "text": "Bonjour", "html": "<p>Bonjour</p>"}


def test_the_chain_runs_exact_locale_language_shop_language_then_english():
    assert fallback_chain("de-AT", "fr-CA") == ("de-AT", "de", "fr-CA", "fr", "en")


def test_the_chain_of_a_shopper_without_a_locale_starts_at_the_shop():
    assert fallback_chain(None, "de") == ("de", "en")


def test_the_chain_passes_by_what_is_no_language_tag():
    assert fallback_chain("example string", "x" * 300) == ("en",)


def test_the_catalogue_ships_german_for_the_demo_flows():
    for template in ("abandoned_checkout_1", "welcome_1", "win_back_1", "thank_you"):
        assert {"en", "de"} <= bundled_languages(template)


def test_a_shopper_in_austria_gets_the_german_translation_with_austrian_numbers():
    choice = choose_language(TEMPLATE, "de-AT", None, None)

    assert (choice.language, choice.template, choice.format_locale) == (
        "de",
        "de/abandoned_checkout_1",
        "de_AT",
    )
    assert choice.name == "German"


def test_a_locale_without_a_translation_falls_back_to_the_shops_language():
    choice = choose_language(TEMPLATE, "ja", "de-DE", None)

    assert (choice.language, choice.template) == ("de", "de/abandoned_checkout_1")


def test_a_locale_nobody_translates_in_an_english_shop_gets_english():
    choice = choose_language(TEMPLATE, "xx-YY", None, None)

    assert (choice.language, choice.template, choice.default) == ("en", TEMPLATE, True)
    assert choice.format_locale == "en"


def test_a_merchant_translation_wins_over_the_bundled_one():
    overrides = {"translations": {"de": {TEMPLATE: {"subject": "Hallo aus dem Shop"}}}}

    choice = choose_language(TEMPLATE, "de", None, overrides)

    assert (choice.source, choice.parts) == ("translation", {"subject": "Hallo aus dem Shop"})
    assert choice.template == "de/abandoned_checkout_1"  # the parts it left out come from here


def test_a_merchant_translation_into_a_language_the_catalogue_lacks_is_found():
    overrides = {"translations": {"fr": {TEMPLATE: FRENCH}}}

    choice = choose_language(TEMPLATE, "fr-BE", None, overrides)

    assert (choice.language, choice.template, choice.parts) == ("fr", TEMPLATE, FRENCH)


def test_the_merchants_own_edits_count_as_the_shops_language():
    overrides = {"templates": {TEMPLATE: {"subject": "Dein Warenkorb"}}}

    german = choose_language(TEMPLATE, "de", "de", overrides)
    english = choose_language(TEMPLATE, "en-GB", "de", overrides)

    assert (german.source, german.default) == ("edited", True)
    assert (english.source, english.default, english.template) == ("bundled", False, TEMPLATE)


def test_an_english_shop_keeps_its_edits_for_english_shoppers():
    overrides = {"templates": {TEMPLATE: {"subject": "Your cart"}}}

    assert choose_language(TEMPLATE, "en-US", "en", overrides).default is True


def german_email(template, subject, locale="de-DE"):
    shop = make_shop(currency="EUR")
    choice = choose_language(template, locale, None, None)
    context = message_context(shop, make_contact(locale=locale), subject, UNSUBSCRIBE_URL, {}, choice)
    return render(choice.template, "email", context)


def test_the_german_abandoned_checkout_email_writes_money_the_german_way():
    email = german_email(TEMPLATE, make_checkout())

    assert email.subject == GERMAN_SUBJECT
    assert "Summe: 421,88\xa0$" in email.text  # the checkout's own currency, written the German way
    assert "421,88\xa0$" in unescape(email.html or "")
    assert '<html lang="de"' in (email.html or "")
    assert "Abmelden: " + UNSUBSCRIBE_URL in email.text


def test_the_german_thank_you_email_says_thank_you_in_german():
    email = german_email("thank_you", make_order())

    assert email.subject.startswith("Vielen Dank für Ihre Bestellung")
    assert "Summe:" in email.text


@pytest.mark.parametrize("template", ["welcome_1", "win_back_1"])
def test_the_german_welcome_and_win_back_emails_render(template):
    email = german_email(template, None)

    assert "Hallo John," in email.text and '<html lang="de"' in (email.html or "")


def test_a_discounts_last_day_is_written_in_the_messages_language():
    choice = choose_language("abandoned_checkout_2", "de", None, None)
    discount = {"code": "SF-1", "percent": 10, "expires_at": date(2026, 12, 10), "expires": "December 10"}

    context = message_context(
        make_shop(), make_contact(), make_checkout(), UNSUBSCRIBE_URL, {"discount": discount}, choice
    )

    assert context["discount"]["expires"] == "10. Dezember"
    assert "einmal einlösbar, bis 10. Dezember." in render(choice.template, "email", context).text
