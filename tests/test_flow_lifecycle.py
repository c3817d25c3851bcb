"""Lifecycle flows end to end on both platforms: double opt-in, welcome series (split, A/B, discount),
VIP, win-back and sunset. Events in through the real webhook endpoints, exact messages out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import db
from app.db.models import Contact, DiscountCode, Enrollment, Message, MessageEvent, Suppression
from flows.ab import bucket
from tests.support.db import rows
from tests.support.outbox import bodies, not_sent, sent
from tests.support.saleor import ALLOWLIST
from tests.support.stores import Line, Shopper

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
ANN = Shopper("ann@example.com", "Ann", "1001")
BEN = Shopper("ben@example.com", "Ben", "1002")


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


def shirt(store, quantity: int = 1, price: str = "58.00") -> Line:
    return Line(store.product_id(1), store.variant_id(1), "Linen shirt", price, quantity)


def test_welcome_series_thanks_offers_a_discount_then_reminds_of_preferences(app, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "welcome_series", welcome_series={"ab": {"discount_email": 0}})
    start = harness.clock.now()

    store.subscribe(ANN)
    harness.advance_to(start + DAY)
    harness.advance_to(start + 3 * DAY)

    assert sent(app, start) == [
        ("welcome_series", "email", "welcome_1", timedelta(0)),
        ("welcome_series", "email", "welcome_2", DAY),
        ("welcome_series", "email", "welcome_3", 3 * DAY),
    ]


def test_the_welcome_discount_is_a_unique_code_made_through_the_platform(
    app, store, factory, harness, discount_api
):
    shop = store.shop(factory)
    factory.enable(shop, "welcome_series", welcome_series={"ab": {"discount_email": 0}})
    api = discount_api(shop)
    start = harness.clock.now()

    store.subscribe(ANN)
    harness.advance_to(start + DAY)

    (code,) = rows(app, DiscountCode)
    assert (code.status, code.percent, code.expires_at) == ("created", 10, start + 15 * DAY)
    assert api.codes == [code.code]
    (gift,) = bodies(app, "welcome_2")
    assert gift.subject == "A welcome gift: 10% off your first order"
    assert f"Your code: {code.code}" in gift.body_text


def test_a_discount_call_that_fails_is_retried_with_the_same_code(app, store, factory, harness, discount_api):
    shop = store.shop(factory)
    factory.enable(shop, "welcome_series", welcome_series={"ab": {"discount_email": 0}})
    # Shopify's client library retries a 5xx twice itself: three failures reach our own retry.
    api = discount_api(shop, failures=3 if store.platform == "shopify" else 1)
    start = harness.clock.now()

    store.subscribe(ANN)
    harness.advance_to(start + DAY)
    harness.advance_to(start + DAY + 2 * timedelta(minutes=1))

    (code,) = rows(app, DiscountCode)
    assert (code.status, code.attempts) == ("created", 2)
    assert api.codes == [code.code]
    assert ("welcome_series", "email", "welcome_2", DAY + 2 * timedelta(minutes=1)) in sent(app, start)


def test_a_shopper_who_already_ordered_gets_no_first_order_discount(app, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "welcome_series")
    start = harness.clock.now()

    store.subscribe(ANN)
    store.order(ANN, 1001, [shirt(store)], "placed")
    harness.advance_to(start + DAY)
    harness.advance_to(start + 3 * DAY)

    assert [template for _, _, template, _ in sent(app, start)] == ["welcome_1", "welcome_3"]


def test_the_ab_split_gives_each_shopper_a_stable_side_and_records_it(app, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "welcome_series", welcome_series={"params": {"discount": False}})
    shoppers = [Shopper(f"s{n}@example.com", f"S{n}", str(2000 + n)) for n in range(6)]
    start = harness.clock.now()

    for shopper in shoppers:
        store.subscribe(shopper)
    harness.advance_to(start + DAY)

    with app.app_context():
        contacts = {c.email: c.id for c in db.session.scalars(select(Contact))}
        gifts = {
            m.to_address: (m.variant, m.template)
            for m in db.session.scalars(select(Message).where(Message.step_index == 3))
        }
    expected = {
        s.email: ("B", "welcome_2_b")
        if bucket("welcome_series", "discount_email", contacts[s.email]) < 50
        else ("A", "welcome_2")
        for s in shoppers
    }
    assert gifts == expected


def test_double_opt_in_holds_the_subscription_until_the_link_is_clicked(app, client, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "double_opt_in", "welcome_series")
    start = harness.clock.now()

    store.subscribe(ANN)
    (confirmation,) = bodies(app, "double_opt_in_1")
    link = next(line for line in confirmation.links if "/confirm/" in line)
    harness.advance_to(start + HOUR)
    response = client.post(link.removeprefix("https://storeflow.test"))
    harness.drain()
    harness.advance_to(start + 12 * HOUR)

    assert response.status_code == 200
    assert "You're subscribed" in response.text
    assert [(flow, template, at) for flow, _, template, at in sent(app, start)] == [
        ("double_opt_in", "double_opt_in_1", timedelta(0)),
        ("welcome_series", "welcome_1", HOUR),
    ]
    (contact,) = rows(app, Contact)
    assert (contact.email_consent, contact.email_consent_source) == ("subscribed", "storeflow:double_opt_in")
    (opt_in,) = rows(app, Enrollment, flow_key="double_opt_in")
    assert opt_in.state == "exited"


def test_a_pending_subscriber_gets_one_reminder_and_no_marketing(app, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "double_opt_in", "welcome_series")
    start = harness.clock.now()

    store.subscribe(ANN)
    harness.advance_to(start + 2 * DAY)

    assert sent(app, start) == [
        ("double_opt_in", "email", "double_opt_in_1", timedelta(0)),
        ("double_opt_in", "email", "double_opt_in_2", 2 * DAY),
    ]
    assert rows(app, Contact)[0].email_consent == "pending"


def test_vip_thanks_and_tags_a_shopper_crossing_the_order_count(app, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "vip", vip={"params": {"vip_orders": 2, "vip_spend": "10000.00"}})
    start = harness.clock.now()

    store.subscribe(ANN)
    store.order(ANN, 1001, [shirt(store)], "paid")
    harness.advance_to(start + DAY)
    store.order(ANN, 1002, [shirt(store)], "paid")
    harness.advance_to(start + DAY + HOUR)

    assert sent(app, start) == [("vip", "email", "vip", DAY + HOUR)]
    assert rows(app, Contact)[0].tags == ["vip"]


def test_vip_by_spending_enters_once(app, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "vip", vip={"params": {"vip_orders": 100, "vip_spend": "100.00"}})
    start = harness.clock.now()

    store.subscribe(ANN)
    store.order(ANN, 1001, [shirt(store, quantity=2)], "paid")
    harness.advance_to(start + HOUR)
    store.order(ANN, 1002, [shirt(store, quantity=2)], "paid")
    harness.advance_to(start + 2 * HOUR)

    assert sent(app, start) == [("vip", "email", "vip", HOUR)]


def test_win_back_reminds_then_discounts_then_shows_bestsellers(app, store, factory, harness):
    shop = store.shop(factory, timezone="UTC")
    factory.enable(shop, "win_back", win_back={"params": {"lapse_days": 90, "discount": False}})
    start = harness.clock.now()  # 12:00 UTC; the shop's daily scan runs from 10:00
    store.subscribe(ANN)
    store.subscribe(BEN)
    store.order(ANN, 1001, [shirt(store)], "placed", placed_at=start - 90 * DAY)
    store.order(
        BEN,
        1002,
        [shirt(store), Line(store.product_id(2), store.variant_id(2), "Canvas tote", "24.00")],
        "placed",
        placed_at=start - 10 * DAY,
    )

    lapsed_at = start + timedelta(minutes=1)  # the first calendar tick after Ann's 90 days
    harness.advance_to(lapsed_at)
    harness.advance_to(lapsed_at + 7 * DAY)
    harness.advance_to(lapsed_at + 14 * DAY)

    print(not_sent(app))
    assert sent(app, start) == [
        ("win_back", "email", "win_back_1", lapsed_at - start),
        ("win_back", "email", "win_back_2", lapsed_at - start + 7 * DAY),
        ("win_back", "email", "win_back_3", lapsed_at - start + 14 * DAY),
    ]
    (bestsellers,) = bodies(app, "win_back_3")
    assert "- Canvas tote: $24.00" in bestsellers.body_text


def test_an_order_ends_the_win_back(app, store, factory, harness):
    shop = store.shop(factory, timezone="UTC")
    factory.enable(shop, "win_back")
    start = harness.clock.now()
    store.subscribe(ANN)
    store.order(ANN, 1001, [shirt(store)], "placed", placed_at=start - 91 * DAY)

    harness.advance(timedelta(minutes=1))
    store.order(ANN, 1002, [shirt(store)], "placed")
    harness.advance_to(start + 14 * DAY)

    assert [template for _, _, template, _ in sent(app, start)] == ["win_back_1"]
    (winback,) = rows(app, Enrollment, flow_key="win_back")
    assert winback.exit_reason.startswith("order.placed")


def test_sunset_asks_the_unengaged_then_suppresses_them(app, store, factory, harness):
    shop = store.shop(factory, timezone="UTC")
    factory.enable(
        shop, "welcome_series", "sunset_unengaged", sunset_unengaged={"params": {"unengaged_days": 30}}
    )
    start = harness.clock.now()
    store.subscribe(ANN)  # the welcome emails are the last ones Ann ignored

    for day in (1, 3, 34, 41):
        harness.advance_to(start + day * DAY)

    assert sent(app, start)[-1] == ("sunset_unengaged", "email", "sunset_1", 34 * DAY)
    (suppression,) = rows(app, Suppression)
    assert (suppression.address, suppression.reason) == ("ann@example.com", "unengaged")
    (sunset,) = rows(app, Enrollment, flow_key="sunset_unengaged")
    assert sunset.state == "completed"


def test_opening_the_sunset_email_keeps_the_subscriber(app, store, factory, harness):
    shop = store.shop(factory, timezone="UTC")
    factory.enable(
        shop, "welcome_series", "sunset_unengaged", sunset_unengaged={"params": {"unengaged_days": 30}}
    )
    start = harness.clock.now()
    store.subscribe(ANN)
    for day in (1, 3, 34):
        harness.advance_to(start + day * DAY)

    (asked,) = bodies(app, "sunset_1")
    with app.app_context():
        db.session.add(
            MessageEvent(
                shop_id=shop.id,
                message_id=asked.id,
                kind="opened",
                provider="sendgrid",
                provider_event_id="open-1",
                occurred_at=harness.clock.now() + HOUR,
            )
        )
        db.session.commit()
    harness.advance_to(start + 41 * DAY)

    assert rows(app, Suppression) == []
    (sunset,) = rows(app, Enrollment, flow_key="sunset_unengaged")
    assert (sunset.state, sunset.exit_reason) == ("exited", "re-engaged (opened since the flow began)")
    assert not_sent(app) == []
