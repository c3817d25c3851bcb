"""Twilio's requests: signed status callbacks update messages; STOP, START and HELP replies act on consent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import db
from app.db.models import Contact, Message, MessageEvent, Suppression
from tests.support.db import count, rows
from tests.support.messages import sent_message
from tests.support.twilio_requests import AUTH_TOKEN, inbound_params, post_signed, status_params

PHONE = "+16135551111"
SID = "SM" + "b" * 32
STATUS = "/webhooks/twilio/status"
INBOUND = "/webhooks/twilio/inbound"


@pytest.fixture
def config_changes() -> dict[str, object]:
    return {"twilio_auth_token": AUTH_TOKEN}


@pytest.fixture
def shop(factory):
    return factory.shop(email="hello@demo-shop.test", storefront_url="https://demo-shop.test")


@pytest.fixture
def contact(factory, shop):
    return factory.contact(
        shop,
        email="jane@example.com",
        phone=PHONE,
        sms_consent="subscribed",
        sms_consent_source="shopify:checkout",
    )


@pytest.fixture
def sms_id(app, shop, contact, clock) -> int:
    message = sent_message(
        db.session, shop, contact, clock.now() - timedelta(minutes=1), channel="sms", provider_message_id=SID
    )
    return message.id


def status_path(message_id: int) -> str:
    return f"{STATUS}?ref={message_id}"


def message(app, message_id: int) -> Message:
    (row,) = rows(app, Message, id=message_id)
    return row


def sms_consent(app) -> tuple[str | None, str | None]:
    with app.app_context():
        contact = db.session.scalars(select(Contact)).one()
        return contact.sms_consent, contact.sms_consent_source


def suppressions(app) -> list[tuple[str, str, str]]:
    return [(s.channel, s.address, s.reason) for s in rows(app, Suppression)]


# --- status callbacks ----------------------------------------------------------------------------


def test_a_signed_delivered_callback_marks_the_sms_delivered(app, client, sms_id):
    response = post_signed(client, status_path(sms_id), status_params(SID, "delivered"))

    assert response.status_code == 204
    assert message(app, sms_id).status == "delivered"
    (event,) = rows(app, MessageEvent)
    assert (event.kind, event.provider, event.provider_event_id) == (
        "delivered",
        "twilio",
        f"{SID}:delivered",
    )


def test_a_callback_signed_with_another_token_is_rejected_and_changes_nothing(app, client, sms_id):
    response = post_signed(client, status_path(sms_id), status_params(SID, "delivered"), token="wrong-token")

    assert response.status_code == 401
    assert message(app, sms_id).status == "sent"
    assert count(app, MessageEvent) == 0


def test_a_signature_for_another_message_reference_is_rejected(app, client, sms_id):
    signed_for = f"https://storeflow.test{status_path(sms_id + 1)}"

    response = post_signed(
        client, status_path(sms_id), status_params(SID, "delivered"), signed_url=signed_for
    )

    assert response.status_code == 401
    assert message(app, sms_id).status == "sent"


def test_a_callback_without_a_signature_is_rejected(app, client, sms_id):
    response = client.post(status_path(sms_id), data=status_params(SID, "delivered"))

    assert response.status_code == 401
    assert count(app, MessageEvent) == 0


def test_a_repeated_callback_is_applied_once(app, client, sms_id):
    post_signed(client, status_path(sms_id), status_params(SID, "delivered"))
    post_signed(client, status_path(sms_id), status_params(SID, "delivered"))

    assert count(app, MessageEvent) == 1
    assert [e["status"] for e in message(app, sms_id).timeline] == ["pending", "sent", "delivered"]


def test_intermediate_statuses_change_nothing(app, client, sms_id):
    for status in ("queued", "sending", "sent"):
        post_signed(client, status_path(sms_id), status_params(SID, status))

    assert count(app, MessageEvent) == 0
    assert message(app, sms_id).status == "sent"


def test_an_undelivered_sms_counts_as_bounced(app, client, sms_id):
    post_signed(client, status_path(sms_id), status_params(SID, "undelivered", error_code="30003"))

    assert (message(app, sms_id).status, message(app, sms_id).detail) == (
        "bounced",
        "undelivered (error 30003)",
    )
    assert suppressions(app) == []


def test_an_sms_refused_because_the_recipient_replied_stop_suppresses_the_number(app, client, sms_id):
    post_signed(client, status_path(sms_id), status_params(SID, "failed", error_code="21610"))

    assert message(app, sms_id).status == "unsubscribed"
    assert suppressions(app) == [("sms", PHONE, "unsubscribed")]
    assert sms_consent(app) == ("unsubscribed", "twilio:unsubscribed")


def test_a_delivered_sms_with_an_unusable_number_error_is_delivered_not_a_server_error(
    app, client, shop, contact, clock
):
    # a message whose send went unanswered has no provider id yet; Twilio's report is all we have
    unanswered = sent_message(db.session, shop, contact, clock.now(), channel="sms", provider_message_id=None)

    response = post_signed(client, status_path(unanswered.id), status_params(SID, "delivered", "30005"))

    assert response.status_code == 204
    assert message(app, unanswered.id).status == "delivered"
    assert suppressions(app) == []


def test_a_callback_for_an_unknown_message_is_acknowledged_and_dropped(app, client, sms_id):
    response = post_signed(client, status_path(999_999), status_params(SID, "delivered"))

    assert response.status_code == 204
    assert count(app, MessageEvent) == 0


@pytest.mark.parametrize("reference", ["2147483648", "99999999999999999", "-1"])
def test_a_callback_whose_reference_no_row_can_have_is_dropped_not_failed(app, client, sms_id, reference):
    response = post_signed(client, f"{STATUS}?ref={reference}", status_params(SID, "delivered"))

    assert response.status_code == 204
    assert count(app, MessageEvent) == 0


def test_a_callback_naming_another_twilio_message_is_dropped(app, client, sms_id):
    post_signed(client, status_path(sms_id), status_params("SM" + "9" * 32, "delivered"))

    assert message(app, sms_id).status == "sent"


# --- replies: STOP, START, HELP ------------------------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "stop", " Unsubscribe ", "CANCEL", "Stop."])
def test_a_stop_reply_withdraws_sms_consent_and_suppresses_the_number(app, client, sms_id, word):
    response = post_signed(client, INBOUND, inbound_params(PHONE, word))

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert "<Message>" not in response.get_data(as_text=True)  # Twilio confirms STOP itself
    assert sms_consent(app) == ("unsubscribed", "twilio:stop")
    assert suppressions(app) == [("sms", PHONE, "sms_stop")]
    assert message(app, sms_id).status == "unsubscribed"


def test_a_forged_stop_changes_nothing(app, client, sms_id):
    response = post_signed(client, INBOUND, inbound_params(PHONE, "STOP"), token="wrong-token")

    assert response.status_code == 401
    assert sms_consent(app) == ("subscribed", "shopify:checkout")
    assert suppressions(app) == []


@pytest.mark.parametrize("word", ["START", "unstop"])
def test_start_after_stop_restores_sms_consent(app, client, sms_id, word):
    post_signed(client, INBOUND, inbound_params(PHONE, "STOP", sid="SM" + "1" * 32))

    post_signed(client, INBOUND, inbound_params(PHONE, word, sid="SM" + "2" * 32))

    assert sms_consent(app) == ("subscribed", "twilio:start")
    assert suppressions(app) == []


def test_start_does_not_subscribe_a_shopper_who_never_consented(app, client, factory, shop):
    factory.contact(
        shop, phone="+16135552222", sms_consent="unsubscribed", sms_consent_source="unsubscribe_link"
    )

    post_signed(client, INBOUND, inbound_params("+16135552222", "START"))

    assert sms_consent(app) == ("unsubscribed", "unsubscribe_link")


def test_help_answers_with_the_stores_contact_line(app, client, sms_id):
    response = post_signed(client, INBOUND, inbound_params(PHONE, "HELP"))

    assert (
        "<Message>Demo Shop: for help, write to hello@demo-shop.test or visit https://demo-shop.test. "
        in (response.get_data(as_text=True))
    )
    assert sms_consent(app) == ("subscribed", "shopify:checkout")


def test_other_replies_get_no_answer_and_change_nothing(app, client, sms_id):
    response = post_signed(client, INBOUND, inbound_params(PHONE, "please stop sending me texts"))

    assert response.get_data(as_text=True).endswith("<Response />")
    assert sms_consent(app) == ("subscribed", "shopify:checkout")


def test_a_stop_from_a_number_we_do_not_know_is_harmless(app, client, sms_id):
    response = post_signed(client, INBOUND, inbound_params("+16135559999", "STOP"))

    assert response.status_code == 200
    assert suppressions(app) == []


SHOP_TOKEN = "the-shops-own-twilio-token"
SHOP_ACCOUNT = "AC" + "7" * 32
SHOP_NUMBER = "+15005550777"


@pytest.fixture
def shop_account(app, factory, shop):
    """The merchant saved their own Twilio account in Settings; Twilio signs with its token."""
    from app.shops.settings import TWILIO, store_provider

    store_provider(
        shop,
        TWILIO,
        {
            "account_sid": SHOP_ACCOUNT,
            "auth_token": app.extensions["storeflow"].cipher.encrypt(SHOP_TOKEN),
            "from_number": SHOP_NUMBER,
        },
    )
    factory.session.commit()


def test_a_callback_signed_by_the_shops_own_account_is_accepted(app, client, sms_id, shop_account):
    params = {**status_params(SID, "delivered"), "AccountSid": SHOP_ACCOUNT}

    response = post_signed(client, status_path(sms_id), params, token=SHOP_TOKEN)

    assert response.status_code == 204
    assert message(app, sms_id).status == "delivered"


def test_a_stop_to_the_shops_own_number_is_accepted(app, client, sms_id, shop_account):
    params = {**inbound_params(PHONE, "STOP"), "AccountSid": SHOP_ACCOUNT, "To": SHOP_NUMBER}

    response = post_signed(client, INBOUND, params, token=SHOP_TOKEN)

    assert response.status_code == 200
    assert sms_consent(app)[0] == "unsubscribed"


def test_another_shops_token_does_not_vouch_for_this_message(app, client, factory, sms_id):
    from app.shops.settings import TWILIO, store_provider

    other = factory.shop(domain="other-shop.myshopify.com")
    store_provider(
        other,
        TWILIO,
        {"account_sid": SHOP_ACCOUNT, "auth_token": app.extensions["storeflow"].cipher.encrypt(SHOP_TOKEN)},
    )
    factory.session.commit()

    response = post_signed(client, status_path(sms_id), status_params(SID, "delivered"), token=SHOP_TOKEN)

    assert response.status_code == 401
    assert message(app, sms_id).status == "sent"
