"""A Twilio request acts only within the shop that owns the receiving number and account (issue 14.5).

A merchant who saves their own Twilio account holds its auth token, so they can sign any request
they like with it. Signed with shop A's token, a STOP or HELP must not reach shop B's shoppers,
whatever ``From``, ``To`` and ``AccountSid`` it claims. Signatures are Twilio's RequestValidator's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db import db
from app.db.models import Contact, Message, Shop, Suppression
from app.shops.settings import TWILIO, store_provider
from tests.support.db import rows
from tests.support.messages import sent_message
from tests.support.twilio_requests import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    OUR_NUMBER,
    inbound_params,
    post_signed,
    status_params,
)

INBOUND = "/webhooks/twilio/inbound"
SHOPPER = "+16135551111"
A_ACCOUNT, A_TOKEN, A_NUMBER = "AC" + "a" * 32, "shop-a-twilio-token", "+15005550101"
B_ACCOUNT, B_TOKEN, B_NUMBER = "AC" + "b" * 32, "shop-b-twilio-token", "+15005550202"


@pytest.fixture
def config_changes() -> dict[str, object]:
    return {
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_from_number": OUR_NUMBER,
    }


def own_account(app, shop: Shop, sid: str, token: str, number: str) -> None:
    cipher = app.extensions["storeflow"].cipher
    store_provider(
        shop, TWILIO, {"account_sid": sid, "auth_token": cipher.encrypt(token), "from_number": number}
    )


@pytest.fixture
def shops(app, factory, clock):
    """Shop A and shop B each text from their own Twilio account; the same shopper buys at both."""
    a = factory.shop(domain="shop-a.myshopify.com", name="Shop A", email="owner@shop-a.test")
    b = factory.shop(domain="shop-b.myshopify.com", name="Shop B", email="owner@shop-b.test")
    own_account(app, a, A_ACCOUNT, A_TOKEN, A_NUMBER)
    own_account(app, b, B_ACCOUNT, B_TOKEN, B_NUMBER)
    for hours_ago, shop in ((2, a), (1, b)):  # B texted the shopper last
        contact = factory.contact(
            shop, phone=SHOPPER, sms_consent="subscribed", sms_consent_source="checkout"
        )
        sent_message(db.session, shop, contact, clock.now() - timedelta(hours=hours_ago), channel="sms")
    db.session.commit()
    return a, b


def consent_at(app, shop_name: str) -> str | None:
    (shop,) = rows(app, Shop, name=shop_name)
    (contact,) = rows(app, Contact, shop_id=shop.id)
    return contact.sms_consent


def suppressed_shops(app) -> set[int]:
    return {s.shop_id for s in rows(app, Suppression)}


def test_a_stop_signed_with_shop_as_token_suppresses_nobody_at_shop_b(app, client, shops):
    _a, b = shops
    params = {**inbound_params(SHOPPER, "STOP"), "AccountSid": A_ACCOUNT, "To": A_NUMBER}

    response = post_signed(client, INBOUND, params, token=A_TOKEN)

    assert consent_at(app, "Shop B") == "subscribed"
    assert b.id not in suppressed_shops(app)
    assert response.status_code == 200
    assert consent_at(app, "Shop A") == "unsubscribed"  # A's own shopper texted A's own number


def test_a_help_signed_with_shop_as_token_does_not_answer_shop_bs_name(app, client, shops):
    params = {**inbound_params(SHOPPER, "HELP"), "AccountSid": A_ACCOUNT, "To": A_NUMBER}

    response = post_signed(client, INBOUND, params, token=A_TOKEN)

    text = response.get_data(as_text=True)
    assert "Shop B" not in text and "owner@shop-b.test" not in text
    assert "Shop A" in text


def test_a_stop_claiming_shop_bs_account_and_number_signed_with_shop_as_token_is_refused(app, client, shops):
    params = {**inbound_params(SHOPPER, "STOP"), "AccountSid": B_ACCOUNT, "To": B_NUMBER}

    response = post_signed(client, INBOUND, params, token=A_TOKEN)

    assert response.status_code == 401
    assert consent_at(app, "Shop B") == "subscribed"
    assert suppressed_shops(app) == set()


def test_a_shop_that_saved_another_shops_account_acts_only_on_its_own_shoppers(app, client, shops):
    a, _b = shops
    own_account(app, a, B_ACCOUNT, A_TOKEN, B_NUMBER)  # A claims B's account and number as its own
    db.session.merge(a)
    db.session.commit()
    params = {**inbound_params(SHOPPER, "STOP"), "AccountSid": B_ACCOUNT, "To": B_NUMBER}

    response = post_signed(client, INBOUND, params, token=A_TOKEN)

    assert response.status_code == 200
    assert consent_at(app, "Shop B") == "subscribed"
    assert suppressed_shops(app) == {a.id}


def test_the_shops_own_stop_still_works(app, client, shops):
    _a, b = shops
    params = {**inbound_params(SHOPPER, "STOP"), "AccountSid": B_ACCOUNT, "To": B_NUMBER}

    post_signed(client, INBOUND, params, token=B_TOKEN)

    assert consent_at(app, "Shop B") == "unsubscribed"
    assert consent_at(app, "Shop A") == "subscribed"
    assert suppressed_shops(app) == {b.id}


def test_a_stop_to_the_deployments_number_reaches_only_the_shops_texting_from_it(app, client, shops, factory):
    shared = factory.shop(domain="shop-c.myshopify.com", name="Shop C")
    factory.contact(shared, phone=SHOPPER, sms_consent="subscribed", sms_consent_source="checkout")

    post_signed(client, INBOUND, inbound_params(SHOPPER, "STOP"))

    assert consent_at(app, "Shop C") == "unsubscribed"
    assert (consent_at(app, "Shop A"), consent_at(app, "Shop B")) == ("subscribed", "subscribed")
    assert suppressed_shops(app) == {shared.id}


def test_a_stop_to_a_number_no_shop_owns_is_refused(app, client, shops):
    params = {**inbound_params(SHOPPER, "STOP"), "AccountSid": A_ACCOUNT, "To": "+15005550999"}

    response = post_signed(client, INBOUND, params, token=A_TOKEN)

    assert response.status_code == 401
    assert suppressed_shops(app) == set()


def test_a_status_callback_is_verified_only_with_the_account_it_names(app, client, shops):
    _a, b = shops
    (message,) = rows(app, Message, shop_id=b.id)
    sid = "SM" + "d" * 32
    with app.app_context():
        db.session.get(Message, message.id).provider_message_id = sid
        db.session.commit()
    params = {**status_params(sid, "delivered"), "AccountSid": B_ACCOUNT}

    forged = post_signed(client, f"/webhooks/twilio/status?ref={message.id}", params, token=AUTH_TOKEN)
    genuine = post_signed(client, f"/webhooks/twilio/status?ref={message.id}", params, token=B_TOKEN)

    assert forged.status_code == 401
    assert genuine.status_code == 204
