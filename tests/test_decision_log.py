"""The decision log, end to end: every step decided records its outcome, its reason and the facts it
looked at, and the admin shows them per contact and per message (pages and JSON API, one shop each)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.db.models import Contact, Decision, Message
from app.messaging.signed_links import unsubscribe_token
from tests.support.admin import log_in, private_message
from tests.support.db import rows
from tests.support.samples import sample
from tests.support.shopify import deliver
from tests.support.store import abandon_checkout
from tests.support.stores import Line, ShopifyStore, Shopper

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
ANN = Shopper("ann@example.com", "Ann", "1001")


@pytest.fixture
def shopify(client, harness) -> ShopifyStore:
    return ShopifyStore(client, harness)


def decisions(app, **filters) -> list[Decision]:
    return rows(app, Decision, **filters)


def test_a_step_skipped_for_want_of_consent_records_the_reason_and_the_consent_it_saw(
    app, client, harness, factory
):
    # given a shopper who did not tick "email me" at checkout
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    abandon_checkout(client, harness, buyer_accepts_marketing=False)

    # when the first email is due
    harness.advance(HOUR)

    # then
    (message,) = rows(app, Message, step_index=1)
    (decision,) = decisions(app, step_index=1)
    assert (decision.outcome, decision.reason) == ("skipped", "no email marketing consent (never given)")
    assert decision.message_id == message.id
    assert decision.facts["channel"] == "email"
    assert decision.facts["consent"] is None
    assert decision.facts["has_address"] is True


def test_a_sent_message_records_the_provider_and_its_id(app, client, harness, factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    abandon_checkout(client, harness)

    harness.advance(HOUR)

    (decision,) = decisions(app)
    (message,) = rows(app, Message)
    assert (decision.outcome, decision.message_id) == ("sent", message.id)
    assert decision.facts["provider"] == message.provider
    assert decision.facts["provider_message_id"] == message.provider_message_id
    assert decision.facts["template"] == "abandoned_checkout_1"


def test_an_exit_before_a_step_records_which_condition_held(app, client, harness, factory):
    # given a shopper who got the first reminder, then used its unsubscribe link
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    abandon_checkout(client, harness)
    harness.advance(HOUR)
    (contact,) = rows(app, Contact)
    client.post(f"/u/{unsubscribe_token('test-secret-key', shop.id, contact.id, 'email')}")

    # when the SMS step comes round
    harness.advance(3 * HOUR)

    # then
    exited = decisions(app, outcome="exited")
    assert [(d.step_index, d.reason, d.facts) for d in exited] == [
        (3, "unsubscribed from email", {"condition": "contact.unsubscribed (contact)"})
    ]


def test_an_event_that_ends_a_flow_records_the_exit_and_its_event(app, shopify, factory, harness):
    shop = shopify.shop(factory)
    factory.enable(shop, "abandoned_checkout")
    shopify.checkout(ANN, "ann-checkout", [Line("1", "11", "Linen shirt", "58.00")])

    shopify.order(ANN, 1001, [Line("1", "11", "Linen shirt", "58.00")], "placed")

    (exited,) = decisions(app, outcome="exited")
    assert exited.facts == {"condition": "order.placed"}
    assert exited.reason.startswith("order.placed")
    assert exited.step_index == 1  # the step it would have run next


def test_a_deferral_for_quiet_hours_records_the_window_and_the_shoppers_time_zone(
    app, client, factory, harness
):
    # given a shopper in Ottawa (from their number) whose SMS falls due at 23:00 their time
    shop = factory.shop(timezone="UTC")
    factory.enable(shop, "abandoned_checkout")
    harness.advance(12 * HOUR)
    checkout_at = harness.clock.now()
    payload = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    payload.update(
        buyer_accepts_marketing=True,
        buyer_accepts_sms_marketing=True,
        sms_marketing_phone="+16135550123",
        updated_at=checkout_at.isoformat(),
    )
    deliver(client, "checkouts/create", payload)
    harness.drain()

    # when
    harness.advance_to(checkout_at + HOUR)
    harness.advance_to(checkout_at + 4 * HOUR)

    # then
    (deferred,) = decisions(app, outcome="deferred")
    assert deferred.reason == "quiet hours (21:00-08:00 America/Toronto): deferred to 08:00"
    assert deferred.facts["window"] == "21:00-08:00"
    assert deferred.facts["timezone"] == "America/Toronto"
    assert deferred.facts["contact_timezone"] == "America/Toronto"
    assert deferred.facts["until"] == datetime(2026, 11, 27, 8, 0).isoformat() + "-05:00"


def test_a_branch_whose_condition_does_not_hold_records_the_facts_it_tested(app, shopify, factory, harness):
    # given the thank-you split: first purchase (order_count <= 1) or repeat purchase (> 1)
    shop = shopify.shop(factory)
    factory.enable(shop, "thank_you")
    start = harness.clock.now()

    # when a first order is paid
    shopify.order(ANN, 1001, [Line("1", "11", "Linen shirt", "20.00")], "paid")
    harness.advance_to(start + 5 * MINUTE)

    # then the repeat-purchase branch was passed over, with the order count it saw
    # (beside the thank-you's push steps, switched off by default and logged as such)
    (skipped,) = [d for d in decisions(app, outcome="skipped") if d.reason.startswith("condition")]
    assert skipped.reason == "condition not met: order_count > 1"
    assert skipped.facts == {"condition": "order_count > 1", "order_count": 1}
    assert skipped.message_id is None


def test_the_contact_page_shows_why_each_step_went_as_it_did(app, client, harness, factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    abandon_checkout(client, harness, buyer_accepts_marketing=False)
    harness.advance(HOUR)
    (contact,) = rows(app, Contact)
    log_in(client, shop.id)

    page = client.get(f"/admin/contacts/{contact.id}").text

    assert "Why: every decision about their flow steps" in page
    assert "Not subscribed to email marketing (never given)" in page  # the reason in the merchant's words
    assert "Abandoned checkout recovery, step 2" in page


def test_the_message_page_shows_the_decisions_about_that_message(app, client, harness, factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    abandon_checkout(client, harness)
    harness.advance(HOUR)
    (message,) = rows(app, Message)
    log_in(client, shop.id)

    page = client.get(f"/admin/messages/{message.id}").text

    assert "Decisions" in page
    assert "provider message id" in page


def test_the_api_lists_a_contacts_decisions_newest_first(app, client, harness, factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    abandon_checkout(client, harness)
    harness.advance(HOUR)
    harness.advance(3 * HOUR)
    (contact,) = rows(app, Contact)
    log_in(client, shop.id)

    body = client.get(f"/admin/api/contacts/{contact.id}/decisions").json

    assert body["contact_id"] == contact.id
    assert [(d["step"], d["outcome"]) for d in body["decisions"]] == [(3, "skipped"), (1, "sent")]
    assert body["decisions"][0]["reason"] == "no sms address"
    assert body["decisions"][0]["facts"]["channel"] == "sms"


def test_the_api_lists_a_messages_decisions(app, client, harness, factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    abandon_checkout(client, harness)
    harness.advance(HOUR)
    (message,) = rows(app, Message)
    log_in(client, shop.id)

    body = client.get(f"/admin/api/messages/{message.id}/decisions").json

    assert body["message_id"] == message.id
    assert [d["outcome"] for d in body["decisions"]] == ["sent"]


@pytest.mark.parametrize("path", ["contacts/{contact}/decisions", "messages/{message}/decisions"])
def test_the_api_answers_404_for_another_shops_rows(app, client, factory, path):
    mine = factory.shop()
    theirs = factory.shop(domain="beta.myshopify.com")
    message = private_message(factory, theirs)
    log_in(client, mine.id)

    response = client.get(f"/admin/api/{path.format(contact=message.contact_id, message=message.id)}")

    assert response.status_code == 404


def test_the_api_needs_a_signed_in_shop(app, client, factory):
    shop = factory.shop()
    message = private_message(factory, shop)

    assert client.get(f"/admin/api/messages/{message.id}/decisions").status_code == 401


def test_decided_times_are_the_flows_clock(app, client, harness, factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    start = harness.clock.now()
    abandon_checkout(client, harness)

    harness.advance(HOUR)

    (decision,) = decisions(app)
    assert decision.decided_at == start + HOUR
    assert decision.decided_at.tzinfo == UTC


def test_erasing_the_contact_erases_what_was_decided_about_them(app, client, harness, factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    abandon_checkout(client, harness)
    harness.advance(HOUR)
    (contact,) = rows(app, Contact)
    csrf = log_in(client, shop.id)

    client.post(f"/admin/contacts/{contact.id}/erase", data={"csrf_token": csrf, "confirm": "erase"})

    assert rows(app, Decision) == []


def test_the_contact_budget_records_the_rule_and_until_when(app, shopify, factory, harness):
    # given a welcome email just went out, and the same paid order makes the shopper a VIP
    shop = shopify.shop(factory)
    factory.enable(shop, "welcome_series", "vip", vip={"params": {"vip_orders": 1}})
    start = harness.clock.now()
    shopify.subscribe(ANN)
    shopify.order(ANN, 1001, [Line("1", "11", "Linen shirt", "58.00")], "paid")

    # when the VIP email (lifecycle, ranked with the welcome series) comes due
    harness.advance_to(start + 3 * HOUR)

    # then the budget skipped it, and the log says which rule and until when
    (skipped,) = [d for d in decisions(app, flow_key="vip", step_index=2) if d.outcome == "skipped"]
    assert skipped.reason == "contact budget: Welcome series email sent 3 h ago (1 per 16 h across channels)"
    assert skipped.facts["rule"] == "contact budget"
    assert skipped.facts["mode"] == "skip"
    assert skipped.facts["until"] == (start + 16 * HOUR).isoformat()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/api/contacts/99999999999999999999/decisions",
        "/admin/api/messages/99999999999999999999/decisions",
        "/admin/api/contacts/99999999999999999999/consent",
        "/admin/contacts/99999999999999999999/consent.csv",
    ],
)
def test_an_id_too_large_for_the_database_answers_404(app, client, factory, path):
    shop = factory.shop()
    log_in(client, shop.id)

    assert client.get(path).status_code == 404
