"""Contacts: consent per channel with its source and time, unsubscribe and suppression, GDPR
export and erasure from the admin."""

from __future__ import annotations

import json

import pytest

from app.db.models import Contact, DataExport, Message, Suppression
from tests.support.admin import log_in
from tests.support.db import count, rows
from tests.support.store import SHOPPER_EMAIL, abandon_checkout


@pytest.fixture
def shop(factory):
    return factory.shop(name="Alpha Goods")


@pytest.fixture
def shopper(app, client, harness, shop):
    """The sample checkout's shopper, who ticked 'email me' at checkout."""
    abandon_checkout(client, harness)
    return rows(app, Contact)[0]


def test_a_contacts_consent_shows_its_source_and_time(client, shop, shopper):
    log_in(client, shop.id)

    page = client.get(f"/admin/contacts/{shopper.id}").text

    assert "John Smith" in page
    assert "Subscribed" in page
    assert "shopify:checkout" in page
    assert "Never asked" in page  # SMS


def test_the_contact_list_finds_by_name_and_shows_consent(client, shop, shopper):
    log_in(client, shop.id)

    found = client.get("/admin/contacts?q=smith").text
    missed = client.get("/admin/contacts?q=nobody").text

    assert SHOPPER_EMAIL in found and "Subscribed" in found
    assert "No contacts match" in missed


def test_the_contact_list_pages_by_fifty_keeping_the_search(client, factory, shop):
    for n in range(51):
        factory.contact(shop, email=f"buyer{n:02d}@example.com")
    log_in(client, shop.id)

    first = client.get("/admin/contacts?q=buyer").text
    second = client.get("/admin/contacts?q=buyer&page=2").text

    assert "buyer50@example.com" in first and "buyer00@example.com" not in first
    assert 'href="/admin/contacts?q=buyer&amp;page=2">Older</a>' in first
    assert ">Newer</a>" not in first
    assert "buyer00@example.com" in second
    assert 'href="/admin/contacts?q=buyer&amp;page=1">Newer</a>' in second
    assert ">Older</a>" not in second


def test_unsubscribing_from_the_admin_withdraws_consent_and_suppresses(app, client, shop, shopper):
    csrf = log_in(client, shop.id)

    response = client.post(
        f"/admin/contacts/{shopper.id}/unsubscribe",
        data={"csrf_token": csrf, "channel": "email", "confirmed": "yes"},
    )

    assert response.status_code == 303
    contact = rows(app, Contact)[0]
    assert (contact.email_consent, contact.email_consent_source) == ("unsubscribed", "admin")
    (suppression,) = rows(app, Suppression)
    assert (suppression.channel, suppression.address) == ("email", SHOPPER_EMAIL)
    assert "Suppressed" in client.get("/admin/contacts").text


def test_the_export_downloads_what_storeflow_holds(app, client, harness, factory, shop, shopper):
    csrf = log_in(client, shop.id)

    response = client.post(f"/admin/contacts/{shopper.id}/export", data={"csrf_token": csrf})

    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="storeflow-contact-{shopper.id}.json"'
    )
    data = json.loads(response.data)
    assert data["contacts"][0]["email"] == SHOPPER_EMAIL
    assert data["contacts"][0]["email_consent"] == "subscribed"
    assert len(data["checkouts"]) == 1
    assert count(app, DataExport) == 1


def test_erasing_needs_the_word_typed(app, client, shop, shopper):
    csrf = log_in(client, shop.id)

    response = client.post(f"/admin/contacts/{shopper.id}/erase", data={"csrf_token": csrf, "confirm": "yes"})

    assert response.status_code == 400
    assert "Nothing was erased" in response.text
    assert count(app, Contact) == 1


def test_erasing_removes_the_contact_and_keeps_suppressions(app, client, harness, factory, shop, shopper):
    factory.enable(shop, "abandoned_checkout")
    csrf = log_in(client, shop.id)
    client.post(
        f"/admin/contacts/{shopper.id}/unsubscribe",
        data={"csrf_token": csrf, "channel": "email", "confirmed": "yes"},
    )

    response = client.post(
        f"/admin/contacts/{shopper.id}/erase", data={"csrf_token": csrf, "confirm": "Erase"}
    )

    assert response.status_code == 303
    assert count(app, Contact) == 0
    assert count(app, Message) == 0
    assert count(app, Suppression) == 1
    assert "were erased" in client.get(response.location).text
