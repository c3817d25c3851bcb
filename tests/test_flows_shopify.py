"""The three foundation flows, end to end: signed webhook → relay → RQ → scheduled steps → outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db.models import Checkout, Enrollment, Message, Order, WebhookEvent
from tests.support.db import count, rows
from tests.support.samples import sample
from tests.support.shopify import deliver

HOUR = timedelta(hours=1)


@pytest.fixture
def shop(factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout", "thank_you", "review_request")
    return shop


def checkout_payload(clock, minutes_ago: int = 0, **changes):
    payload = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    payload["buyer_accepts_marketing"] = True
    payload["updated_at"] = (clock.now() - timedelta(minutes=minutes_ago)).isoformat()
    payload.update(changes)
    return payload


def order_payload(clock, checkout_token="123123123", email="example@email.com", **changes):
    payload = sample("shopify", "orders_paid__shopifydocs-2026-04")
    payload.update(
        checkout_token=checkout_token,
        email=email,
        contact_email=email,
        cancelled_at=None,
        updated_at=clock.now().isoformat(),
        buyer_accepts_marketing=True,
    )
    payload["customer"]["email"] = email
    payload.update(changes)
    return payload


def sent(app):
    return [(m.template, m.status) for m in rows(app, Message, Message.created_at, Message.id)]


def test_abandoned_checkout_emails_after_one_hour_and_again_at_twenty_four(app, client, harness, shop):
    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    harness.drain()

    harness.advance(59 * timedelta(minutes=1))
    assert sent(app) == []
    harness.advance(2 * timedelta(minutes=1))
    assert sent(app) == [("abandoned_checkout_1", "sent")]
    harness.advance(3 * HOUR)
    assert sent(app)[1] == ("abandoned_checkout_sms", "skipped")
    harness.advance(20 * HOUR)
    assert sent(app) == [
        ("abandoned_checkout_1", "sent"),
        ("abandoned_checkout_sms", "skipped"),
        ("abandoned_checkout_2", "sent"),
    ]
    assert rows(app, Enrollment)[0].state == "completed"


def test_the_sms_step_is_skipped_with_its_reason_without_sms_consent(app, client, harness, shop):
    deliver(client, "checkouts/create", checkout_payload(harness.clock, phone="+16135551111"))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))
    harness.advance(3 * HOUR)

    sms = rows(app, Message, channel="sms")[0]
    assert sms.status == "skipped"
    assert sms.detail == "no sms marketing consent (never given)"


def test_the_sms_step_is_skipped_when_the_shopper_has_no_valid_phone(app, client, harness, shop):
    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))
    harness.advance(3 * HOUR)

    sms = rows(app, Message, channel="sms")[0]
    assert (sms.status, sms.detail) == ("skipped", "no sms address")


def test_the_sms_step_goes_out_with_sms_consent_from_checkout(app, client, harness, shop):
    payload = checkout_payload(
        harness.clock, buyer_accepts_sms_marketing=True, sms_marketing_phone="+16135551111"
    )
    deliver(client, "checkouts/create", payload)
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))
    harness.advance(3 * HOUR)

    sms = rows(app, Message, channel="sms")[0]
    assert (sms.status, sms.to_address) == ("sent", "+16135551111")


def test_an_order_for_the_checkout_stops_the_recovery(app, client, harness, shop):
    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    deliver(client, "orders/create", order_payload(harness.clock))
    harness.drain()
    harness.advance(48 * HOUR)

    assert [t for t, _ in sent(app) if t.startswith("abandoned")] == ["abandoned_checkout_1"]
    recovery = rows(app, Enrollment, flow_key="abandoned_checkout")[0]
    assert recovery.state == "exited"
    assert recovery.exit_reason.startswith("order.placed")


def test_a_real_guest_checkout_and_its_real_order_pair_up(app, client, harness, shop):
    # given the RudderStack pair: a guest checkout (email added later) and the order that completed it
    guest = sample("shopify", "checkouts_create__rudderstack-devstore")
    guest.update(
        email="henry@wfls.com", buyer_accepts_marketing=True, updated_at=harness.clock.now().isoformat()
    )
    deliver(client, "checkouts/update", guest)
    harness.drain()

    # when the order arrives before the first reminder is due
    harness.advance(30 * timedelta(minutes=1))
    order = sample("shopify", "orders_create__rudderstack-devstore")
    order["updated_at"] = harness.clock.now().isoformat()
    deliver(client, "orders/create", order)
    harness.drain()
    harness.advance(48 * HOUR)

    # then no reminder was ever sent, and the checkout knows its order
    assert [t for t, _ in sent(app) if t.startswith("abandoned")] == []
    assert rows(app, Checkout)[0].order_platform_id == "5778367414385"


def test_an_order_arriving_before_its_checkout_webhook_prevents_enrollment(app, client, harness, shop):
    deliver(client, "orders/create", order_payload(harness.clock))
    harness.drain()
    deliver(client, "checkouts/update", checkout_payload(harness.clock, minutes_ago=5))
    harness.drain()
    harness.advance(48 * HOUR)

    assert count(app, Enrollment, flow_key="abandoned_checkout") == 0


def test_a_late_order_webhook_is_caught_at_send_time(app, client, harness, shop):
    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    harness.drain()
    # the order exists in the store but only its orders/paid topic reached us, via another contact
    deliver(client, "orders/paid", order_payload(harness.clock, email="someone-else@example.com"))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    assert [t for t, _ in sent(app) if t.startswith("abandoned")] == []


def test_a_duplicate_delivery_changes_nothing_twice(app, client, harness, shop):
    payload = checkout_payload(harness.clock)
    for _ in range(3):
        deliver(client, "checkouts/create", payload, event_id="same-event")
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    assert count(app, WebhookEvent) == 1
    assert count(app, Enrollment) == 1
    assert sent(app) == [("abandoned_checkout_1", "sent")]


def test_the_same_checkout_state_under_new_event_ids_enrolls_once(app, client, harness, shop):
    payload = checkout_payload(harness.clock)
    deliver(client, "checkouts/create", payload)
    deliver(client, "checkouts/update", payload)
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    assert count(app, Enrollment) == 1
    assert sent(app) == [("abandoned_checkout_1", "sent")]


def test_an_update_before_the_create_still_makes_one_enrollment(app, client, harness, shop):
    deliver(client, "checkouts/update", checkout_payload(harness.clock))
    harness.drain()
    deliver(client, "checkouts/create", checkout_payload(harness.clock, minutes_ago=3))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    assert count(app, Enrollment) == 1
    assert sent(app) == [("abandoned_checkout_1", "sent")]


def test_an_older_update_arriving_late_does_not_roll_the_checkout_back(app, client, harness, shop):
    newer = checkout_payload(harness.clock, total_price="500.00")
    older = checkout_payload(harness.clock, minutes_ago=10, total_price="100.00")
    deliver(client, "checkouts/update", newer)
    harness.drain()
    deliver(client, "checkouts/update", older)
    harness.drain()

    assert str(rows(app, Checkout)[0].total_price) == "500.00"


def test_checkout_activity_rearms_the_reminder(app, client, harness, shop):
    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    harness.drain()
    harness.advance(50 * timedelta(minutes=1))
    deliver(client, "checkouts/update", checkout_payload(harness.clock))
    harness.drain()

    harness.advance(20 * timedelta(minutes=1))
    assert sent(app) == []
    harness.advance(45 * timedelta(minutes=1))
    assert sent(app) == [("abandoned_checkout_1", "sent")]


def test_a_step_job_run_twice_sends_one_message(app, client, harness, shop):
    from app.jobs.tasks import run_step

    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    harness.drain()
    enrollment = rows(app, Enrollment)[0]
    harness.clock.advance(HOUR + timedelta(minutes=1))

    with app.app_context():
        first = run_step(enrollment.id, enrollment.run_token)
        second = run_step(enrollment.id, enrollment.run_token)

    assert (first, second) == ("waiting", "stale")
    assert sent(app) == [("abandoned_checkout_1", "sent")]


def test_a_shopper_without_email_consent_gets_no_recovery_email(app, client, harness, shop):
    deliver(client, "checkouts/create", checkout_payload(harness.clock, buyer_accepts_marketing=False))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    (message,) = rows(app, Message)
    assert (message.status, message.detail) == ("skipped", "no email marketing consent (never given)")


def test_withdrawn_consent_ends_a_running_flow(app, client, harness, shop):
    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    harness.drain()
    harness.advance(30 * timedelta(minutes=1))
    withdrawal = {
        "customer_id": 603851970716743400,
        "email_address": "example@email.com",
        "email_marketing_consent": {
            "state": "unsubscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": harness.clock.now().isoformat(),
        },
    }
    deliver(client, "customers_email_marketing_consent/update", withdrawal)
    harness.drain()
    harness.advance(HOUR)

    assert rows(app, Message) == []
    (recovery,) = rows(app, Enrollment)
    assert recovery.state == "exited"
    assert recovery.exit_reason.startswith("contact.unsubscribed")


def test_a_disabled_flow_enrolls_nobody(app, client, harness, factory):
    factory.shop()
    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    harness.drain()

    assert count(app, Enrollment) == 0


def test_thank_you_goes_out_after_payment_with_the_order_summary(app, client, harness, shop):
    deliver(client, "orders/paid", order_payload(harness.clock))
    harness.drain()
    harness.advance(6 * timedelta(minutes=1))

    (message,) = rows(app, Message, flow_key="thank_you")
    assert message.status == "sent"
    assert "#9999" in message.body_text


def test_an_order_placed_but_not_paid_gets_no_thank_you(app, client, harness, shop):
    order = order_payload(harness.clock, financial_status="pending")
    deliver(client, "orders/create", order)
    harness.drain()
    harness.advance(HOUR)

    assert count(app, Message, flow_key="thank_you") == 0


def test_review_request_comes_seven_days_after_fulfilment(app, client, harness, shop):
    deliver(client, "orders/fulfilled", order_payload(harness.clock))
    harness.drain()

    harness.advance(7 * 24 * HOUR - timedelta(minutes=1))
    assert count(app, Message, flow_key="review_request") == 0
    harness.advance(2 * timedelta(minutes=1))
    (message,) = rows(app, Message, flow_key="review_request")
    assert message.status == "sent"
    assert "Aviator sunglasses" in message.body_text


def test_a_cancelled_order_gets_no_review_request(app, client, harness, shop):
    deliver(client, "orders/fulfilled", order_payload(harness.clock))
    harness.drain()
    harness.advance(24 * HOUR)
    deliver(
        client, "orders/cancelled", order_payload(harness.clock, cancelled_at=harness.clock.now().isoformat())
    )
    harness.drain()
    harness.advance(7 * 24 * HOUR)

    assert count(app, Message, flow_key="review_request") == 0
    assert rows(app, Enrollment, flow_key="review_request")[0].state == "exited"


def test_a_merchant_delay_override_is_used(app, client, harness, factory):
    shop = factory.shop()
    factory.enable(shop, "review_request", review_request={"delays": {"delay": 2 * 24 * 3600}})
    deliver(client, "orders/fulfilled", order_payload(harness.clock))
    harness.drain()
    harness.advance(2 * 24 * HOUR + timedelta(minutes=1))

    assert count(app, Message, flow_key="review_request", status="sent") == 1


def test_an_order_links_back_to_its_checkout_and_contact(app, client, harness, shop):
    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    deliver(client, "orders/create", order_payload(harness.clock))
    harness.drain()

    (order,) = rows(app, Order)
    (checkout,) = rows(app, Checkout)
    assert checkout.order_platform_id == order.platform_id
    assert order.contact_id == checkout.contact_id is not None
