"""The consent ledger: each source of a consent change writes one row with its source, IP, user agent
and disclosure version; a statement that changes nothing writes none; the ledger downloads as JSON
and CSV, is served per shop by the API, and is erased with the contact."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from app.consent.forms import form_opt_in
from app.db import db
from app.db.models import ConsentChange, Contact, Shop
from app.messaging.signed_links import confirm_url, unsubscribe_token
from tests.support.admin import log_in, private_message
from tests.support.db import count, rows
from tests.support.messages import sent_message
from tests.support.samples import sample
from tests.support.shopify import addressed_to, deliver
from tests.support.store import abandon_checkout
from tests.support.stores import ShopifyStore, Shopper
from tests.support.twilio_requests import AUTH_TOKEN, inbound_params, post_signed

ANN = Shopper("ann@example.com", "Ann", "1001")
PHONE = "+16135551111"
SHOPPER_IP = "203.0.113.7"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
FROM_BROWSER = {"environ_base": {"REMOTE_ADDR": SHOPPER_IP}, "headers": {"User-Agent": BROWSER}}


@pytest.fixture
def config_changes() -> dict[str, object]:
    return {"twilio_auth_token": AUTH_TOKEN}


@pytest.fixture
def shopify(client, harness) -> ShopifyStore:
    return ShopifyStore(client, harness)


def ledger(app) -> list[tuple[str, str | None, str, str, str | None, str | None]]:
    """Return (channel, previous, state, source, ip, user agent) of every ledger row, in order."""
    return [(c.channel, c.previous, c.state, c.source, c.ip, c.user_agent) for c in rows(app, ConsentChange)]


def consent_webhook(client, harness, state: str, event_id: str | None = None) -> None:
    response = deliver(
        client,
        "customers_email_marketing_consent/update",
        {
            "customer_id": int(ANN.customer_id),
            "email_address": ANN.email,
            "email_marketing_consent": {
                "state": state,
                "opt_in_level": "single_opt_in",
                "consent_updated_at": harness.clock.now().isoformat(),
            },
        },
        event_id=event_id,
    )
    assert response.status_code == 200
    harness.drain()


# --- one row per source ---------------------------------------------------------------------------


def test_a_ticked_checkout_box_writes_one_row(app, client, harness, factory):
    factory.shop()

    abandon_checkout(client, harness)

    assert ledger(app) == [("email", None, "subscribed", "shopify:checkout", None, None)]


def test_the_platforms_consent_webhook_writes_one_row(app, client, harness, factory):
    factory.shop()

    consent_webhook(client, harness, "subscribed")

    assert ledger(app) == [("email", None, "subscribed", "shopify:email_marketing_consent", None, None)]


def test_a_duplicate_webhook_adds_no_row(app, client, harness, factory):
    factory.shop()
    consent_webhook(client, harness, "subscribed", event_id="first-delivery")

    # the same statement again, under another event id, so the inbox does not drop it
    consent_webhook(client, harness, "subscribed", event_id="second-delivery")

    assert count(app, ConsentChange) == 1


def test_a_checkout_box_ticked_by_a_subscriber_adds_no_row(app, client, harness, factory):
    factory.shop()
    abandon_checkout(client, harness)
    harness.clock.advance(timedelta(minutes=5))

    abandon_checkout(client, harness, token="another-checkout")

    assert count(app, ConsentChange) == 1


def test_the_unsubscribe_link_writes_one_row_with_the_shoppers_ip_and_browser(app, client, factory):
    shop = factory.shop()
    contact = factory.contact(shop, email=ANN.email, email_consent="subscribed")

    client.post(f"/u/{unsubscribe_token('test-secret-key', shop.id, contact.id, 'email')}", **FROM_BROWSER)

    assert ledger(app) == [("email", "subscribed", "unsubscribed", "unsubscribe_link", SHOPPER_IP, BROWSER)]


def test_using_the_unsubscribe_link_twice_adds_no_row(app, client, factory):
    shop = factory.shop()
    contact = factory.contact(shop, email=ANN.email, email_consent="subscribed")
    link = f"/u/{unsubscribe_token('test-secret-key', shop.id, contact.id, 'email')}"

    client.post(link, **FROM_BROWSER)
    client.post(link, **FROM_BROWSER)

    assert count(app, ConsentChange) == 1


def test_an_sms_stop_and_start_write_a_row_each(app, client, factory, clock):
    shop = factory.shop()
    contact = factory.contact(
        shop, phone=PHONE, sms_consent="subscribed", sms_consent_source="shopify:checkout"
    )
    with app.app_context():
        sent_message(
            db.session, shop, contact, clock.now(), channel="sms", provider_message_id="SM" + "b" * 32
        )

    post_signed(client, "/webhooks/twilio/inbound", inbound_params(PHONE, "STOP", sid="SM" + "1" * 32))
    post_signed(client, "/webhooks/twilio/inbound", inbound_params(PHONE, "START", sid="SM" + "2" * 32))

    assert ledger(app) == [
        ("sms", "subscribed", "unsubscribed", "twilio:stop", None, None),
        ("sms", "unsubscribed", "subscribed", "twilio:start", None, None),
    ]


def test_double_opt_in_writes_the_pending_state_then_the_confirmation_with_ip(
    app, client, harness, factory, shopify
):
    shop = shopify.shop(factory)
    factory.enable(shop, "double_opt_in")
    shopify.subscribe(ANN)
    (contact,) = rows(app, Contact)
    link = confirm_url("https://storeflow.test", "test-secret-key", shop.id, contact.id)

    client.post(link.removeprefix("https://storeflow.test"), **FROM_BROWSER)

    assert ledger(app) == [
        ("email", None, "pending", "shopify:email_marketing_consent", None, None),
        ("email", "pending", "subscribed", "storeflow:double_opt_in", SHOPPER_IP, BROWSER),
    ]


def test_unsubscribing_from_the_admin_writes_one_row_naming_the_admin(app, client, factory):
    shop = factory.shop()
    contact = factory.contact(shop, email=ANN.email, email_consent="subscribed")
    csrf = log_in(client, shop.id)

    client.post(
        f"/admin/contacts/{contact.id}/unsubscribe",
        data={"csrf_token": csrf, "channel": "email", "confirmed": "yes"},
        environ_base={"REMOTE_ADDR": "198.51.100.2"},
        headers={"User-Agent": BROWSER},
    )

    assert ledger(app) == [("email", "subscribed", "unsubscribed", "admin", "198.51.100.2", BROWSER)]


def test_the_notify_me_form_with_its_box_ticked_writes_one_pending_row_with_ip(app, client, factory):
    shop = factory.shop(storefront_url="https://shop.demo.test")

    response = client.post(
        f"/storefront/notify?k={shop.storefront_key}",
        data={"email": ANN.email, "product_id": "632910393", "subscribe": "on"},
        environ_base=FROM_BROWSER["environ_base"],
        headers={**FROM_BROWSER["headers"], "Origin": "https://shop.demo.test"},
    )

    assert response.status_code == 201
    assert ledger(app) == [("email", None, "pending", "storefront:notify_form", SHOPPER_IP, BROWSER)]


def test_each_row_keeps_the_version_of_the_shops_consent_wording(app, client, harness, factory):
    shop = factory.shop()
    csrf = log_in(client, shop.id)
    saved = client.post(
        "/admin/settings/consent",
        data={"csrf_token": csrf, "consent_wording": "Email me news and offers. Unsubscribe at any time."},
    )

    abandon_checkout(client, harness)

    assert saved.status_code == 303
    (change,) = rows(app, ConsentChange)
    (stored,) = rows(app, Shop)
    assert change.disclosure_version == stored.settings["consent"]["version"]
    assert change.disclosure_version.startswith("sha256:") and len(change.disclosure_version) == 19


def test_the_shop_may_choose_single_opt_in_for_its_forms_and_keep_it(app, client, factory):
    shop = factory.shop()
    csrf = log_in(client, shop.id)

    chosen = client.post(
        "/admin/settings/consent", data={"csrf_token": csrf, "consent_wording": "", "form_opt_in": "single"}
    )
    client.post("/admin/settings/consent", data={"csrf_token": csrf, "consent_wording": "Email me offers."})
    refused = client.post("/admin/settings/consent", data={"csrf_token": csrf, "form_opt_in": "maybe"})

    assert chosen.status_code == 303
    assert refused.status_code == 400
    assert form_opt_in(rows(app, Shop)[0]) == "single"
    assert rows(app, Shop)[0].settings["consent"]["wording"] == "Email me offers."


def test_new_wording_gets_a_new_version(app, client, factory):
    shop = factory.shop()
    csrf = log_in(client, shop.id)

    client.post("/admin/settings/consent", data={"csrf_token": csrf, "consent_wording": "Email me offers."})
    first = rows(app, Shop)[0].settings["consent"]["version"]
    client.post("/admin/settings/consent", data={"csrf_token": csrf, "consent_wording": "Text me offers."})
    second = rows(app, Shop)[0].settings["consent"]["version"]

    assert first != second


# --- exports ---------------------------------------------------------------------------------------


@pytest.fixture
def unsubscribed(app, client, factory) -> Contact:
    """A shopper who ticked the box at checkout, then left through the unsubscribe link."""
    shop = factory.shop()
    contact = factory.contact(
        shop, email=ANN.email, email_consent="subscribed", email_consent_source="shopify:checkout"
    )
    client.post(f"/u/{unsubscribe_token('test-secret-key', shop.id, contact.id, 'email')}", **FROM_BROWSER)
    return contact


def test_the_json_download_lists_each_change_with_its_evidence(app, client, unsubscribed):
    log_in(client, unsubscribed.shop_id)

    response = client.get(f"/admin/contacts/{unsubscribed.id}/consent.json")

    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="storeflow-consent-{unsubscribed.id}.json"'
    )
    body = json.loads(response.data)
    assert body["contact"] == {"id": unsubscribed.id, "email": ANN.email, "phone": None}
    (change,) = body["changes"]
    assert change["channel"] == "email"
    assert (change["previous"], change["state"], change["source"]) == (
        "subscribed",
        "unsubscribed",
        "unsubscribe_link",
    )
    assert (change["ip"], change["user_agent"]) == (SHOPPER_IP, BROWSER)
    assert change["changed_at"].startswith("2026-11-26T12:00:00")


def test_the_csv_download_has_a_header_and_a_line_per_change(app, client, unsubscribed):
    log_in(client, unsubscribed.shop_id)

    response = client.get(f"/admin/contacts/{unsubscribed.id}/consent.csv")

    assert response.mimetype == "text/csv"
    header, line = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header[:7] == ["changed_at", "channel", "previous", "state", "source", "ip", "user_agent"]
    assert line[1:7] == ["email", "subscribed", "unsubscribed", "unsubscribe_link", SHOPPER_IP, BROWSER]


def test_the_csv_defuses_a_user_agent_a_spreadsheet_would_run(app, client, factory):
    shop = factory.shop()
    contact = factory.contact(shop, email=ANN.email, email_consent="subscribed")
    client.post(
        f"/u/{unsubscribe_token('test-secret-key', shop.id, contact.id, 'email')}",
        headers={"User-Agent": '=HYPERLINK("http://evil.example","x")'},
    )
    log_in(client, shop.id)

    text = client.get(f"/admin/contacts/{contact.id}/consent.csv").get_data(as_text=True)

    (_, line) = list(csv.reader(io.StringIO(text)))
    assert line[6] == '\'=HYPERLINK("http://evil.example","x")'


def test_the_contact_page_shows_the_history_and_links_the_downloads(app, client, unsubscribed):
    log_in(client, unsubscribed.shop_id)

    page = client.get(f"/admin/contacts/{unsubscribed.id}").text

    assert "Consent history" in page
    assert "subscribed → unsubscribed" in page
    assert SHOPPER_IP in page
    assert f"/admin/contacts/{unsubscribed.id}/consent.csv" in page


def test_the_api_serves_the_ledger_as_json_and_csv(app, client, unsubscribed):
    log_in(client, unsubscribed.shop_id)

    as_json = client.get(f"/admin/api/contacts/{unsubscribed.id}/consent").json
    as_csv = client.get(f"/admin/api/contacts/{unsubscribed.id}/consent.csv").get_data(as_text=True)

    assert [c["source"] for c in as_json["changes"]] == ["unsubscribe_link"]
    assert as_csv.splitlines()[0].startswith("changed_at,channel,previous,state,source,ip,user_agent")
    assert len(as_csv.splitlines()) == 2


@pytest.mark.parametrize(
    "path",
    [
        "/admin/api/contacts/{id}/consent",
        "/admin/api/contacts/{id}/consent.csv",
        "/admin/contacts/{id}/consent.json",
        "/admin/contacts/{id}/consent.csv",
    ],
)
def test_another_shops_ledger_answers_404(app, client, factory, path):
    mine = factory.shop()
    theirs = factory.shop(domain="beta.myshopify.com")
    message = private_message(factory, theirs)
    log_in(client, mine.id)

    assert client.get(path.format(id=message.contact_id)).status_code == 404


# --- erasure --------------------------------------------------------------------------------------


def test_erasing_a_contact_from_the_admin_deletes_their_ledger(app, client, unsubscribed):
    csrf = log_in(client, unsubscribed.shop_id)

    client.post(f"/admin/contacts/{unsubscribed.id}/erase", data={"csrf_token": csrf, "confirm": "erase"})

    assert count(app, ConsentChange) == 0


def test_a_customers_redact_webhook_deletes_their_ledger(app, client, harness, factory):
    factory.shop()
    abandon_checkout(client, harness)
    assert count(app, ConsentChange) == 1

    payload = addressed_to(sample("shopify", "customers_redact__shopifydocs-2026-04"))
    payload["customer"]["email"] = "example@email.com"
    deliver(client, "customers/redact", payload)
    harness.drain()

    assert count(app, Contact) == 0
    assert count(app, ConsentChange) == 0


def test_the_admins_data_export_includes_the_consent_history(app, client, unsubscribed):
    csrf = log_in(client, unsubscribed.shop_id)

    response = client.post(f"/admin/contacts/{unsubscribed.id}/export", data={"csrf_token": csrf})

    (change,) = json.loads(response.data)["consent_changes"]
    assert (change["source"], change["ip"]) == ("unsubscribe_link", SHOPPER_IP)
