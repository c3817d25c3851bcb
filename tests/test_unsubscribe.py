"""The unsubscribe link: GET confirms, POST (the button or a mail client's one-click) unsubscribes."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from app.db import db
from app.db.models import Contact, Message, MessageEvent, Shop, Suppression
from app.messaging.signed_links import unsubscribe_token, unsubscribe_url
from tests.support.db import rows
from tests.support.messages import sent_message

EMAIL = "jane@example.com"
PHONE = "+16135551111"
ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def contact_id(factory) -> int:
    shop = factory.shop()
    contact = factory.contact(
        shop,
        email=EMAIL,
        phone=PHONE,
        first_name="Jane",
        email_consent="subscribed",
        email_consent_source="shopify:checkout",
        sms_consent="subscribed",
        sms_consent_source="shopify:checkout",
    )
    return contact.id


def link_path(app: Flask, contact_id: int, channel: str = "email") -> str:
    """The path of the link a message to this contact carries."""
    config = app.extensions["storeflow"].config
    with app.app_context():
        shop_id = db.session.get_one(Contact, contact_id).shop_id
    return urlsplit(unsubscribe_url(config.app_url, config.secret_key, shop_id, contact_id, channel)).path


def consent(app: Flask, contact_id: int, channel: str = "email") -> tuple[str | None, str | None]:
    with app.app_context():
        contact = db.session.get_one(Contact, contact_id)
        return getattr(contact, f"{channel}_consent"), getattr(contact, f"{channel}_consent_source")


def suppressions(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(Suppression).order_by(Suppression.id)).all()
        return [(row.channel, row.address, row.reason) for row in rows]


def test_link_opens_a_confirmation_form(app, client, contact_id):
    response = client.get(link_path(app, contact_id))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Unsubscribe from Demo Shop?" in page
    assert f'<form method="post" action="{link_path(app, contact_id)}">' in page


def test_opening_the_link_changes_nothing(app, client, contact_id):
    # when a mail scanner or the shopper follows the link
    client.get(link_path(app, contact_id))

    # then
    assert consent(app, contact_id) == ("subscribed", "shopify:checkout")
    assert suppressions(app) == []


def test_confirming_unsubscribes_the_contact(app, client, clock, contact_id):
    # when
    response = client.post(link_path(app, contact_id))

    # then
    assert response.status_code == 200
    assert "You're unsubscribed" in response.get_data(as_text=True)
    assert consent(app, contact_id) == ("unsubscribed", "unsubscribe_link")
    with app.app_context():
        assert db.session.get_one(Contact, contact_id).email_consent_at == clock.now()


def test_confirming_suppresses_the_address(app, client, contact_id):
    client.post(link_path(app, contact_id))

    assert suppressions(app) == [("email", EMAIL, "unsubscribed")]


def test_confirming_works_without_a_csrf_token_even_when_csrf_is_enforced_everywhere(app, client, contact_id):
    # given CSRF checked on every POST, and a session holding a token the request does not send
    app.config["WTF_CSRF_CHECK_DEFAULT"] = True
    with client.session_transaction() as session:
        session["csrf_token"] = "a-token-the-form-does-not-send"

    # when
    response = client.post(link_path(app, contact_id), data={})

    # then
    assert response.status_code == 200
    assert consent(app, contact_id)[0] == "unsubscribed"


def test_one_click_post_from_a_mail_client_unsubscribes(app, client, contact_id):
    # RFC 8058: the mail client POSTs this exact body, with no cookies and no token
    response = client.post(
        link_path(app, contact_id), data=ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert consent(app, contact_id) == ("unsubscribed", "unsubscribe_link")
    assert suppressions(app) == [("email", EMAIL, "unsubscribed")]


def test_email_link_leaves_sms_consent_alone(app, client, contact_id):
    client.post(link_path(app, contact_id, "email"))

    assert consent(app, contact_id, "sms") == ("subscribed", "shopify:checkout")


def test_sms_link_unsubscribes_the_phone_number(app, client, contact_id):
    client.post(link_path(app, contact_id, "sms"))

    assert consent(app, contact_id, "sms") == ("unsubscribed", "unsubscribe_link")
    assert consent(app, contact_id, "email") == ("subscribed", "shopify:checkout")
    assert suppressions(app) == [("sms", PHONE, "unsubscribed")]


def test_repeating_the_post_is_harmless(app, client, contact_id):
    # given
    path = link_path(app, contact_id)
    client.post(path)

    # when
    response = client.post(path)

    # then
    assert response.status_code == 200
    assert consent(app, contact_id) == ("unsubscribed", "unsubscribe_link")
    assert suppressions(app) == [("email", EMAIL, "unsubscribed")]


def tampered(path: str) -> str:
    """Change one character of the signed payload, keeping the signature."""
    prefix, token = path.rsplit("/", 1)
    payload, signature = token.rsplit(".", 1)
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    return f"{prefix}/{flipped}.{signature}"


@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_link_is_not_found_and_changes_nothing(app, client, contact_id, method):
    response = getattr(client, method)(tampered(link_path(app, contact_id)))

    assert response.status_code == 404
    assert consent(app, contact_id) == ("subscribed", "shopify:checkout")
    assert suppressions(app) == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_link_signed_with_another_key_is_not_found(app, client, contact_id, method):
    with app.app_context():
        shop_id = db.session.get_one(Contact, contact_id).shop_id
    forged = unsubscribe_token("not-our-secret", shop_id, contact_id, "email")

    response = getattr(client, method)(f"/u/{forged}")

    assert response.status_code == 404
    assert consent(app, contact_id) == ("subscribed", "shopify:checkout")


def test_garbage_token_is_not_found(client):
    assert client.post("/u/not-a-token").status_code == 404


def message_link_path(app: Flask, contact_id: int, clock) -> tuple[str, int]:
    """The unsubscribe link of a message sent to this contact, and the message's id."""
    config = app.extensions["storeflow"].config
    with app.app_context():
        contact = db.session.get_one(Contact, contact_id)
        shop = db.session.get_one(Shop, contact.shop_id)
        message = sent_message(db.session, shop, contact, clock.now())
        url = unsubscribe_url(config.app_url, config.secret_key, shop.id, contact.id, "email", message.id)
        return urlsplit(url).path, message.id


def test_unsubscribing_from_a_message_counts_once_for_that_message(app, client, clock, contact_id):
    path, message_id = message_link_path(app, contact_id, clock)

    client.post(path)
    client.post(path)

    (event,) = rows(app, MessageEvent)
    assert (event.message_id, event.kind, event.provider) == (message_id, "unsubscribed", "storeflow")
    assert rows(app, Message)[0].status == "unsubscribed"
