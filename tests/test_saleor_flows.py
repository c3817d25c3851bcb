"""The three flows, end to end from Saleor payloads: signed webhook → relay → RQ → steps → outbox.

The flows are the Shopify ones, unchanged; only the adapter differs. Payloads are the bundled real
Saleor samples (checkouts reshaped from the documented legacy object, see demo/saleor.py).
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import responses

from app.db.models import Checkout, Contact, Enrollment, Message, Order
from demo.saleor import checkout_from_legacy
from tests.support.db import count, rows
from tests.support.links import targets
from tests.support.saleor import ALLOWLIST, API_URL, deliver, global_id, serve_jwks, signing_key
from tests.support.samples import sample

HOUR = timedelta(hours=1)
TEMPLATE = "https://shop.example/checkout?checkout={checkout_id}"
LINDA_CHECKOUT_ID = "Q2hlY2tvdXQ6dXVpZA=="  # the sample's id: Checkout:uuid


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


@pytest.fixture(autouse=True)
def saleor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_jwks(mock, signing_key("k1"))
        yield mock


@pytest.fixture
def shop(factory):
    shop = factory.shop(
        domain=API_URL,
        platform="saleor",
        name="Demo Saleor Store",
        settings={"checkout_url_template": TEMPLATE},
    )
    factory.enable(shop, "abandoned_checkout", "thank_you", "review_request")
    return shop


def checkout_payload(clock, minutes_ago=0, consent="true", lines=1, **changes):
    """Linda's checkout (signed in) with email consent in its metadata and one line."""
    payload = checkout_from_legacy(
        sample("saleor", "SHIPPING_LIST_METHODS_FOR_CHECKOUT__saleor-docs-legacy-checkout")[0]
    )
    checkout = payload["checkout"]
    checkout["updatedAt"] = (clock.now() - timedelta(minutes=minutes_ago)).isoformat()
    checkout["lines"] = [
        {"quantity": 2, "unitPrice": {"gross": {"amount": 40}}, "variant": {"product": {"name": "T-Shirt"}}}
    ] * lines
    if consent is not None:
        checkout["emailConsent"] = consent
    checkout.update(changes)
    payload["issuedAt"] = clock.now().isoformat()
    return payload


def order_payload(clock, checkout_id=LINDA_CHECKOUT_ID, email="linda.thomas@example.com", **changes):
    """The Saleor SMTP app's example order, placed from Linda's checkout."""
    payload = sample("saleor", "ORDER_CREATED__saleor-apps-smtp-example")
    payload["order"].update(
        {"userEmail": email, "user": None, "checkoutId": checkout_id, "updatedAt": clock.now().isoformat()}
    )
    payload["order"].update(changes)
    payload["issuedAt"] = clock.now().isoformat()
    return payload


def sent(app):
    return [(m.template, m.status) for m in rows(app, Message, Message.created_at, Message.id)]


def test_abandoned_checkout_emails_with_a_link_from_the_template(app, client, harness, shop):
    deliver(client, "CHECKOUT_CREATED", checkout_payload(harness.clock))
    harness.drain()

    harness.advance(HOUR + timedelta(minutes=1))

    (message,) = rows(app, Message)
    assert (message.template, message.status, message.to_address) == (
        "abandoned_checkout_1",
        "sent",
        "linda.thomas@example.com",
    )
    assert "https://shop.example/checkout?checkout=Q2hlY2tvdXQ6dXVpZA%3D%3D" in targets(
        client, message.body_text
    )


def test_the_whole_recovery_sequence_runs_like_shopifys(app, client, harness, shop):
    deliver(client, "CHECKOUT_CREATED", checkout_payload(harness.clock))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))
    harness.advance(3 * HOUR)
    harness.advance(20 * HOUR)

    assert sent(app) == [
        ("abandoned_checkout_1", "sent"),
        ("abandoned_checkout_sms", "skipped"),
        ("abandoned_checkout_2", "sent"),
    ]
    assert rows(app, Enrollment)[0].state == "completed"


def test_without_a_checkout_url_template_the_reminder_is_skipped(app, client, harness, factory):
    factory.enable(factory.shop(domain=API_URL, platform="saleor"), "abandoned_checkout")
    deliver(client, "CHECKOUT_CREATED", checkout_payload(harness.clock))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    (message,) = rows(app, Message)
    assert (message.status, message.detail) == ("skipped", "no recovery link for this checkout")


def test_without_consent_metadata_no_reminder_is_sent(app, client, harness, shop):
    deliver(client, "CHECKOUT_CREATED", checkout_payload(harness.clock, consent=None))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    (message,) = rows(app, Message)
    assert (message.status, message.detail) == ("skipped", "no email marketing consent (never given)")


def test_consent_withdrawn_in_the_customers_metadata_ends_the_reminders(app, client, harness, shop):
    deliver(client, "CHECKOUT_CREATED", checkout_payload(harness.clock))
    harness.drain()
    harness.advance(30 * timedelta(minutes=1))
    user = {
        "id": "VXNlcjoxOTY=",
        "email": "linda.thomas@example.com",
        "updatedAt": harness.clock.now().isoformat(),
        "emailConsent": "unsubscribed",
    }
    deliver(client, "CUSTOMER_UPDATED", {"issuedAt": harness.clock.now().isoformat(), "user": user})
    harness.drain()
    harness.advance(HOUR)

    assert rows(app, Message) == []
    (recovery,) = rows(app, Enrollment)
    assert (recovery.state, recovery.exit_reason[:20]) == ("exited", "contact.unsubscribed")


def test_consent_set_in_the_checkouts_metadata_alone_reaches_the_reminder(app, client, harness, shop):
    # the storefront ticks the box with updateMetadata: Saleor 3.23 sends CHECKOUT_METADATA_UPDATED
    # (CHECKOUT_UPDATED only with the legacy shop setting useLegacyUpdateWebhookEmission on)
    deliver(client, "CHECKOUT_CREATED", checkout_payload(harness.clock, consent=None))
    harness.drain()
    harness.advance(10 * timedelta(minutes=1))

    response = deliver(client, "CHECKOUT_METADATA_UPDATED", checkout_payload(harness.clock, consent="true"))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    assert response.status_code == 200
    assert sent(app) == [("abandoned_checkout_1", "sent")]
    assert rows(app, Contact)[0].email_consent_source == "saleor:checkout_metadata"


def test_consent_withdrawn_in_the_customers_metadata_alone_ends_the_reminders(app, client, harness, shop):
    # given Linda ticked the box on her checkout
    deliver(client, "CHECKOUT_CREATED", checkout_payload(harness.clock))
    harness.drain()
    harness.advance(30 * timedelta(minutes=1))

    # when her account's metadata says no: updateMetadata leaves User.updatedAt where it was
    user = {
        "id": "VXNlcjoxOTY=",
        "email": "linda.thomas@example.com",
        "updatedAt": (harness.clock.now() - 48 * HOUR).isoformat(),
        "emailConsent": "false",
    }
    issued = harness.clock.now().isoformat()
    response = deliver(client, "CUSTOMER_METADATA_UPDATED", {"issuedAt": issued, "user": user})
    harness.drain()
    harness.advance(HOUR)

    # then no reminder goes, and the withdrawal is dated when Saleor issued it
    assert response.status_code == 200
    assert rows(app, Message) == []
    (contact,) = rows(app, Contact)
    assert (contact.email_consent, contact.email_consent_at) == ("unsubscribed", harness.clock.now() - HOUR)


def test_consent_set_in_an_orders_metadata_alone_reaches_the_review_request(app, client, harness, shop):
    # order metadata never emits ORDER_UPDATED in 3.23: ORDER_METADATA_UPDATED is what tells us
    placed = harness.clock.now().isoformat()
    deliver(client, "ORDER_FULFILLED", order_payload(harness.clock))
    harness.drain()
    harness.advance(HOUR)

    metadata = order_payload(harness.clock, updatedAt=placed, emailConsent="true", status="FULFILLED")
    response = deliver(client, "ORDER_METADATA_UPDATED", metadata)
    harness.drain()
    harness.advance(7 * 24 * HOUR)

    assert response.status_code == 200
    (message,) = rows(app, Message, flow_key="review_request")
    assert message.status == "sent"
    assert rows(app, Contact)[0].email_consent_source == "saleor:order_metadata"


def test_an_order_naming_the_checkout_ends_the_recovery(app, client, harness, shop):
    deliver(client, "CHECKOUT_CREATED", checkout_payload(harness.clock))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    deliver(client, "ORDER_CREATED", order_payload(harness.clock))
    harness.drain()
    harness.advance(48 * HOUR)

    assert [t for t, _ in sent(app) if t.startswith("abandoned")] == ["abandoned_checkout_1"]
    recovery = rows(app, Enrollment, flow_key="abandoned_checkout")[0]
    assert recovery.state == "exited"
    assert recovery.exit_reason.startswith("order.placed")
    assert rows(app, Checkout)[0].order_platform_id == rows(app, Order)[0].platform_id


def test_a_guest_order_reaches_the_guests_checkout_through_checkout_id(app, client, harness, shop):
    guest = checkout_from_legacy(
        sample("saleor", "CHECKOUT_FILTER_SHIPPING_METHODS__saleor-docs-legacy-checkout")["checkout"]
    )
    guest["checkout"].update(
        id=global_id("Checkout", "guest-1"), emailConsent="true", updatedAt=harness.clock.now().isoformat()
    )
    deliver(client, "CHECKOUT_UPDATED", guest)
    harness.drain()

    deliver(
        client,
        "ORDER_CREATED",
        order_payload(harness.clock, global_id("Checkout", "guest-1"), "user@email.com"),
    )
    harness.drain()
    harness.advance(48 * HOUR)

    assert [t for t, _ in sent(app) if t.startswith("abandoned")] == []
    assert rows(app, Checkout)[0].token == "guest-1"


def test_a_fully_paid_checkout_gets_no_reminder(app, client, harness, shop):
    deliver(client, "CHECKOUT_CREATED", checkout_payload(harness.clock))
    harness.drain()
    deliver(client, "CHECKOUT_FULLY_PAID", checkout_payload(harness.clock))
    harness.drain()
    harness.advance(48 * HOUR)

    assert sent(app) == []
    assert rows(app, Enrollment)[0].exit_reason.startswith("checkout.completed")


def test_a_reminder_due_after_saleor_deletes_the_checkout_is_skipped(app, client, harness, shop):
    # given an empty checkout: Saleor deletes it 6 hours after its last change
    deliver(client, "CHECKOUT_CREATED", checkout_payload(harness.clock, lines=0))
    harness.drain()

    # when the recovery flow's waits run past that
    harness.advance(HOUR + timedelta(minutes=1))
    harness.advance(3 * HOUR)
    harness.advance(20 * HOUR)

    # then the steps due before it ran, and the one after was skipped with its reason
    assert [t for t, _ in sent(app)] == ["abandoned_checkout_1", "abandoned_checkout_sms"]
    recovery = rows(app, Enrollment)[0]
    assert recovery.state == "exited"
    assert recovery.exit_reason.startswith("checkout expired at")


def test_a_stale_checkout_is_not_enrolled_at_all(app, client, harness, shop):
    deliver(client, "CHECKOUT_UPDATED", checkout_payload(harness.clock, minutes_ago=7 * 60, lines=0))
    harness.drain()

    assert count(app, Enrollment) == 0


def test_thank_you_goes_out_after_the_order_is_fully_paid(app, client, harness, shop):
    deliver(client, "ORDER_FULLY_PAID", order_payload(harness.clock))
    harness.drain()
    harness.advance(6 * timedelta(minutes=1))

    (message,) = rows(app, Message, flow_key="thank_you")
    assert (message.status, message.to_address) == ("sent", "linda.thomas@example.com")
    assert "#1042" in message.body_text
    assert "Organic Cotton T-Shirt" in message.body_text


def test_an_unpaid_order_is_thanked_once_placed_by_default(app, client, harness, shop):
    deliver(client, "ORDER_CREATED", order_payload(harness.clock, isPaid=False, chargeStatus="NONE"))
    harness.drain()
    harness.advance(6 * timedelta(minutes=1))

    (message,) = rows(app, Message, flow_key="thank_you")
    assert (message.status, message.to_address) == ("sent", "linda.thomas@example.com")


def test_a_merchant_who_thanks_on_payment_gets_no_thank_you_for_an_unpaid_order(
    app, client, harness, factory
):
    shop = factory.shop(domain=API_URL, platform="saleor", settings={"checkout_url_template": TEMPLATE})
    factory.enable(shop, "thank_you", thank_you={"params": {"trigger": "order.paid"}})

    deliver(client, "ORDER_CREATED", order_payload(harness.clock, isPaid=False))
    harness.drain()
    harness.advance(HOUR)

    assert count(app, Message, flow_key="thank_you") == 0


ORDER_EVENTS = {
    "ORDER_CREATED": {"status": "UNFULFILLED", "isPaid": False},
    # seen on 3.23 after checkoutComplete of an unpaid order, when the channel confirms orders itself
    "ORDER_CONFIRMED": {"status": "UNCONFIRMED", "isPaid": False},
    "ORDER_FULLY_PAID": {"status": "UNFULFILLED", "isPaid": True},
}


@pytest.mark.parametrize("events", list(itertools.permutations(ORDER_EVENTS)))
def test_a_placed_order_gets_one_thank_you_whichever_order_events_arrive_in_any_order(
    app, client, harness, shop, events
):
    for event in events:
        deliver(client, event, order_payload(harness.clock, **ORDER_EVENTS[event]))
        harness.drain()
        harness.advance(2 * timedelta(minutes=1))
    harness.advance(HOUR)

    (message,) = rows(app, Message, flow_key="thank_you")
    assert message.status == "sent"
    assert count(app, Enrollment, flow_key="thank_you") == 1


def test_an_order_confirmed_while_still_unconfirmed_is_thanked_once(app, client, harness, shop):
    payload = order_payload(harness.clock, **ORDER_EVENTS["ORDER_CONFIRMED"])

    deliver(client, "ORDER_CONFIRMED", payload)
    harness.drain()
    harness.advance(HOUR)

    assert count(app, Message, flow_key="thank_you", status="sent") == 1


def test_review_request_comes_seven_days_after_fulfilment_with_consent(app, client, harness, shop):
    deliver(client, "ORDER_FULFILLED", order_payload(harness.clock, emailConsent="subscribed"))
    harness.drain()

    harness.advance(7 * 24 * HOUR - timedelta(minutes=1))
    assert count(app, Message, flow_key="review_request") == 0
    harness.advance(2 * timedelta(minutes=1))
    (message,) = rows(app, Message, flow_key="review_request")
    assert message.status == "sent"
    assert "Wireless Earbuds Pro" in message.body_text


def test_a_cancelled_order_gets_no_review_request(app, client, harness, shop):
    deliver(client, "ORDER_FULFILLED", order_payload(harness.clock, emailConsent="subscribed"))
    harness.drain()
    harness.advance(24 * HOUR)
    deliver(client, "ORDER_CANCELLED", order_payload(harness.clock, status="CANCELED"))
    harness.drain()
    harness.advance(7 * 24 * HOUR)

    assert count(app, Message, flow_key="review_request") == 0
    assert rows(app, Enrollment, flow_key="review_request")[0].state == "exited"


def test_a_redelivered_event_changes_nothing_twice(app, client, harness, shop):
    payload = checkout_payload(harness.clock)
    for _ in range(3):
        deliver(client, "CHECKOUT_CREATED", payload)
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    assert count(app, Enrollment) == 1
    assert sent(app) == [("abandoned_checkout_1", "sent")]


def test_the_filterable_payload_shape_runs_the_same_flow(app, client, harness, shop):
    payload = order_payload(harness.clock, isPaid=True)

    deliver(client, "ORDER_CREATED", {"data": {"orderCreated": payload}})
    harness.drain()
    harness.advance(6 * timedelta(minutes=1))

    assert count(app, Message, flow_key="thank_you", status="sent") == 1


def test_the_contact_gets_the_customers_name_and_language(app, client, harness, shop):
    payload = checkout_payload(harness.clock, languageCode="PT_BR")

    deliver(client, "CHECKOUT_CREATED", payload)
    harness.drain()

    (contact,) = rows(app, Contact)
    assert (contact.first_name, contact.locale, contact.platform_customer_id) == (
        "Linda",
        "pt-BR",
        "VXNlcjoxOTY=",
    )
