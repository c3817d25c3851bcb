"""The admin in the merchant's language: a complete German catalogue, chosen the way host admins say.

The committed template must hold every string the sources mark, and German must translate every one
with the same placeholders, so nobody adds an admin string that silently stays English. The host
admin names its language in the query (Shopify's and Saleor's ``locale``); the session remembers it;
the browser's Accept-Language is the fallback; dates and numbers follow the chosen language while
money stays in the shop's currency.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.core.i18n import N_, Phrase
from app.reports.queries import FlowTotals, Report, Totals
from app.web.admin import figures
from app.web.admin.formatting import merchant_reason
from app.web.admin.script_words import SCRIPT_WORDS
from app.web.i18n import LANGUAGES, shipped_language
from app.web.i18n_extract import TEMPLATE, extract_messages
from flows.ab import TESTS_KEY
from tests.support.admin import log_in

GERMAN = Path(TEMPLATE).parent / "de" / "LC_MESSAGES"
SCRIPTS = sorted((Path(TEMPLATE).parents[1] / "static" / "admin").glob("*.js"))
# A word a script looks up in the page's language: t("Saving…").
SCRIPT_LOOKUP = re.compile(r'\bt\("((?:[^"\\]|\\.)*)"\)')
# A placeholder a translation must keep: %(name)s, %(num)d, a literal %%, str.format's {0}.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%|\{\d\}")


def ids(catalog) -> set[object]:
    return {message.id for message in catalog if message.id}


def as_key(value: object) -> object:
    """A plural's forms as a tuple: the .po reader gives tuples, the .mo reader lists."""
    return tuple(value) if isinstance(value, list | tuple) else value


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_the_committed_template_holds_exactly_the_strings_the_sources_mark():
    with TEMPLATE.open("rb") as committed:
        template = read_po(committed)

    extracted = extract_messages()

    missing = ids(extracted) - ids(template)
    stale = ids(template) - ids(extracted)
    assert not missing, f"extract (docs/translations.md) and translate: {sorted(map(str, missing))[:10]}"
    assert not stale, f"strings no source marks any more: {sorted(map(str, stale))[:10]}"


def test_every_admin_string_has_a_german_translation_with_the_same_placeholders():
    with TEMPLATE.open("rb") as committed:
        template = read_po(committed)
    with (GERMAN / "messages.po").open("rb") as po:
        german = read_po(po)

    problems = []
    for message in template:
        if not message.id:
            continue
        found = german.get(message.id)
        if found is None or not found.string or found.fuzzy:
            problems.append(f"untranslated: {message.id!r}")
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        targets = found.string if isinstance(found.string, tuple) else (found.string,)
        if not all(targets):
            problems.append(f"a plural form is empty: {message.id!r}")
        # A German singular may spell the number out of ngettext's %(num)d; every other one stays.
        for source, target in zip(sources, targets, strict=False):
            if [p for p in placeholders(source) if p != "%(num)d"] != [
                p for p in placeholders(target) if p != "%(num)d"
            ]:
                problems.append(f"placeholders differ: {source!r} -> {target!r}")
    assert not problems, "\n".join(problems[:20])


def test_the_committed_compiled_catalogue_is_the_german_po_compiled():
    # The .mo is committed so a clean clone runs without a build step; it must not drift from the .po.
    with (GERMAN / "messages.po").open("rb") as po:
        source = {as_key(m.id): as_key(m.string) for m in read_po(po) if m.id}
    with (GERMAN / "messages.mo").open("rb") as mo:
        compiled = {as_key(m.id): as_key(m.string) for m in read_mo(mo) if m.id}

    assert compiled == source, "run `pybabel compile -d app/translations` after editing a .po"


@pytest.mark.parametrize(
    ("tag", "language"),
    [("de", "de"), ("de-DE", "de"), ("de_AT", "de"), ("en-GB", "en"), ("fr", None), ("", None), ("x!", None)],
)
def test_a_host_admins_locale_tag_picks_the_shipped_language_it_names(tag, language):
    assert shipped_language(tag) == language
    assert language is None or language in LANGUAGES


def report_of(revenue: str, currency: str, converted: int):
    def report(shop_id, start, end):
        totals = Totals(sent=1230, converted=converted, revenue=Decimal(revenue))
        return Report(start, end, currency, totals, [], [FlowTotals("thank_you", totals)])

    return report


def heading(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert found is not None
    return found.group(1).strip()


def test_an_admin_page_loaded_with_shopifys_locale_de_is_german_down_to_its_dates_and_numbers(
    client, factory, monkeypatch
):
    shop = factory.shop(domain="delta.myshopify.com", settings={"locale": "en_US"}, currency="USD")
    monkeypatch.setattr(figures, "shop_report", report_of("1404.95", "USD", 2))
    log_in(client, shop.id)

    page = client.get("/admin?locale=de&from=2026-03-02&to=2026-03-08").text

    assert '<html lang="de"' in page
    assert heading(page) == "Übersicht"
    assert "Zugeordneter Umsatz" in page
    assert "02.03.2026 \u2013 08.03.2026" in page  # German dates, though the shop writes US English
    assert "1.230" in page  # German digit grouping of the messages sent
    assert "1.404,95\xa0$" in page  # German number format, the shop's currency


def test_the_language_the_host_admin_named_stays_for_the_next_pages(client, factory):
    shop = factory.shop(domain="delta.myshopify.com")
    log_in(client, shop.id)
    client.get("/admin?locale=de")

    settings = client.get("/admin/settings").text

    assert heading(settings) == "Einstellungen"
    assert ">Übersicht</a>" in settings  # the navigation too


def test_a_language_the_admin_does_not_ship_ends_the_remembered_one(client, factory):
    shop = factory.shop(domain="delta.myshopify.com")
    log_in(client, shop.id)
    client.get("/admin?locale=de")

    page = client.get("/admin/settings?locale=fr").text

    assert heading(page) == "Settings"


def test_without_a_host_admins_locale_the_browsers_accept_language_decides(client, factory):
    shop = factory.shop(domain="delta.myshopify.com")
    log_in(client, shop.id)

    german = client.get("/admin/settings", headers={"Accept-Language": "fr-FR,de-AT;q=0.8,en;q=0.5"}).text
    french_only = client.get("/admin/settings", headers={"Accept-Language": "fr-FR"}).text

    assert heading(german) == "Einstellungen"
    assert heading(french_only) == "Settings"


def test_catalogue_words_from_domain_code_are_translated_at_the_web_edge(client, factory):
    shop = factory.shop(domain="delta.myshopify.com")
    log_in(client, shop.id)

    flows = client.get("/admin/flows?locale=de").text
    flow = client.get("/admin/flows/abandoned_checkout").text

    assert "Verlorene Verkäufe zurückholen" in flows  # flows/definitions.py GOAL_LABELS
    assert heading(flow).startswith("Rückgewinnung abgebrochener Kassenvorgänge")  # the catalogue's name
    assert "Warten vor der ersten E-Mail" in flow  # a step's label


def test_the_shops_admin_language_from_settings_applies_when_the_host_admin_names_none(client, factory):
    shop = factory.shop(domain="delta.myshopify.com")
    csrf_token = log_in(client, shop.id)

    saved = client.post(
        "/admin/settings/language", data={"language": "de", "csrf_token": csrf_token}, follow_redirects=True
    )
    later = client.get("/admin/settings", headers={"Accept-Language": "en-US"}).text

    assert "Admin-Sprache gespeichert." in saved.text
    assert heading(later) == "Einstellungen"
    assert 'value="de" lang="de" selected' in later


def test_the_host_admins_locale_outranks_the_shops_admin_language(client, factory):
    shop = factory.shop(domain="delta.myshopify.com", settings={"admin_language": {"language": "de"}})
    log_in(client, shop.id)

    page = client.get("/admin/settings?locale=en").text

    assert heading(page) == "Settings"


def test_every_word_the_admins_scripts_look_up_is_served_translated():
    source = "\n".join(script.read_text() for script in SCRIPTS)

    looked_up = set(SCRIPT_LOOKUP.findall(source))
    never_written = [word for word in SCRIPT_WORDS if f'"{word}"' not in source]

    assert looked_up <= set(SCRIPT_WORDS), sorted(looked_up - set(SCRIPT_WORDS))
    assert not never_written, never_written


def test_a_german_page_carries_its_scripts_words_in_german(client, factory):
    shop = factory.shop(domain="delta.myshopify.com")
    log_in(client, shop.id)

    page = client.get("/admin/settings?locale=de").text

    words = re.search(r'<script type="application/json" id="storeflow-words">(.*?)</script>', page, re.S)
    assert words is not None
    assert '"Leave without saving?": "' in words.group(1)
    assert "Ohne Speichern verlassen?" in words.group(1)


def spoken(page: str) -> str:
    """A page's words as a reader sees them: no tags, entities decoded, whitespace collapsed."""
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def test_the_flows_journey_is_german_down_to_its_waits_and_exits(client, factory):
    shop = factory.shop(domain="delta.myshopify.com")
    log_in(client, shop.id)

    journey = spoken(client.get("/admin/flows/abandoned_checkout?locale=de").text.split('id="journey"')[1])

    for german in (
        "Ablauf",
        "Beginnt, wenn",
        "1 Stunde warten",
        "Eingetreten",
        "Flow endet",
        "Verlässt den Flow",
    ):
        assert german in journey
    for english in ("Wait 1 hour", "Starts when", "Flow ends", "Leaves early", "Entered", "Figures for"):
        assert english not in journey


def test_the_ab_test_page_is_german_down_to_its_validation_errors(client, factory):
    shop = factory.shop(domain="delta.myshopify.com")
    csrf = log_in(client, shop.id)
    client.get("/admin?locale=de")

    form = spoken(client.get("/admin/flows/welcome_series/steps/welcome_email/ab").text)
    refused = spoken(
        client.post(
            "/admin/flows/welcome_series/steps/welcome_email/ab",
            data={
                "csrf_token": csrf,
                **{"share_A": "50", "share_B": "60", "subject_B": "Hallo", "metric": "clicks"},
                **{"minimum_sample": "100", "threshold": "101", "action": "start"},
            },
        ).text
    )

    for german in ("A/B-Test", "Variante", "Messgröße", "Test starten", "Eigene Nachricht"):
        assert german in form
    for english in ("Start the test", "Its own message", "Minimum sends of each variant", "Shares add up"):
        assert english not in form
    assert "Die Wahrscheinlichkeitsschwelle muss eine ganze Zahl von 50 bis 99 sein" in refused
    assert "must be a whole number" not in refused and "must add up" not in refused


def test_the_step_languages_strip_is_german_with_language_names_in_german(client, factory):
    shop = factory.shop(domain="delta.myshopify.com")
    factory.enable(shop, "abandoned_checkout")
    log_in(client, shop.id)

    page = client.get("/admin/flows/abandoned_checkout/steps/first_email?locale=de&lang=de").text
    strip = spoken(page.split('id="step-languages"')[1].split("</form>")[0])

    for german in ("Sprachen", "Katalog-Übersetzung", "Sie bearbeiten die Fassung in Deutsch", "Übersetzen"):
        assert german in strip
    for english in ("catalogue translation", "You are editing", "Translate into", "German"):
        assert english not in strip


def test_a_decided_ab_tests_stored_reason_is_said_in_german(client, factory):
    shop = factory.shop(domain="delta.myshopify.com")
    reason = Phrase(
        N_("%(best)s has %(chance)s chance of being best (threshold %(threshold)s)"),
        best="B",
        chance="97.5%",
        threshold="95%",
    )
    decided = {
        **{
            "variants": [{"share": 50}, {"share": 50, "content": True}],
            "minimum_sample": 100,
            "threshold": 95,
        },
        **{"winner": "B", "decided_at": "2026-03-01T12:00:00+00:00", "reason": reason},
        "reason_words": {"message": reason.message, "args": reason.args},
    }
    factory.enable(shop, "welcome_series", welcome_series={TESTS_KEY: {"discount_email": decided}})
    log_in(client, shop.id)

    page = spoken(client.get("/admin/flows/welcome_series?locale=de").text)

    assert "Gewinner gewählt: B" in page
    assert "Grund: B ist mit einer Wahrscheinlichkeit von 97.5% die beste Variante (Schwelle 95%)" in page
    assert "chance of being best" not in page


def test_a_message_sent_in_a_shoppers_language_names_it_in_the_admins(app):
    with app.test_request_context("/admin?locale=de"):
        german = merchant_reason("sent in German (Austria)", {"language": "de-AT"})
        french = merchant_reason("sent in French", {"language": "fr"})

    assert german == "Gesendet auf Deutsch (Österreich)"
    assert french == "Gesendet auf Französisch"
