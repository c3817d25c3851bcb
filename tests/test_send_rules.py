"""Send-time rules, end to end: smart sending (skip or defer, ranked by flow), the frequency cap,
transactional exemption, and SMS quiet hours in the shopper's time zone (deferred, never dropped)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from app.db.models import Message, Shop
from app.messaging.local_time import quiet_until
from tests.support.db import rows
from tests.support.outbox import not_sent, sent
from tests.support.samples import sample
from tests.support.shopify import deliver
from tests.support.storefront import batch, drain, proxied_post, visitor_id
from tests.support.stores import Line, ShopifyStore, Shopper

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
ANN = Shopper("ann@example.com", "Ann", "1001")


@pytest.fixture
def shopify(client, harness) -> ShopifyStore:
    return ShopifyStore(client, harness)


def browses_collections(app, client, shopify: ShopifyStore, shop: Shop) -> None:
    event = {"type": "collection_viewed", "collection_id": "summer"}
    proxied_post(client, batch(visitor_id(), event), logged_in_customer_id=ANN.customer_id)
    drain(app)
    shopify.harness.drain()


def with_bestseller(shopify: ShopifyStore) -> None:
    """An earlier order, so site abandonment has a bestseller to show (before any flow is on)."""
    bo = Shopper("bo@example.com", "Bo", "1009")
    shopify.order(bo, 900, [Line("1", "11", "Canvas tote", "24.00")], "placed")


def becomes_vip(shopify: ShopifyStore) -> None:
    """Ann's first paid order: with ``vip_orders`` at 1 it makes her a VIP (a lifecycle flow)."""
    shopify.order(ANN, 1001, [Line("1", "11", "Linen shirt", "58.00")], "paid")


def test_the_budget_skips_a_marketing_email_within_sixteen_hours_of_one_ranked_as_high(
    app, shopify, factory, harness
):
    shop = shopify.shop(factory)
    factory.enable(shop, "welcome_series", "vip", vip={"params": {"vip_orders": 1}})
    start = harness.clock.now()

    shopify.subscribe(ANN)
    becomes_vip(shopify)
    harness.advance_to(start + 3 * HOUR)

    assert sent(app, start) == [("welcome_series", "email", "welcome_1", timedelta(0))]
    assert not_sent(app) == [
        (
            "vip",
            "vip",
            "skipped",
            "contact budget: Welcome series email sent 3 h ago (1 per 16 h across channels)",
        )
    ]


def test_the_budget_can_defer_until_the_window_has_passed(app, shopify, factory, harness):
    shop = shopify.shop(factory)
    factory.enable(shop, "welcome_series", "vip", vip={"params": {"vip_orders": 1, "smart_sending": "defer"}})
    start = harness.clock.now()

    shopify.subscribe(ANN)
    becomes_vip(shopify)
    harness.advance_to(start + 3 * HOUR)
    harness.advance_to(start + 16 * HOUR)

    assert sent(app, start) == [
        ("welcome_series", "email", "welcome_1", timedelta(0)),
        ("vip", "email", "vip", 16 * HOUR),
    ]
    (deferred,) = rows(app, Message, flow_key="vip")
    assert deferred.timeline[1]["detail"].startswith("contact budget: Welcome series email sent 3 h ago")


def test_a_shop_may_rank_lifecycle_mail_above_browsing(app, client, shopify, factory, harness):
    order = ["recovery", "catalogue", "lifecycle", "browsing", "winback"]
    shop = shopify.shop(factory, settings={"flow_priority": {"order": order}})
    with_bestseller(shopify)
    factory.enable(shop, "welcome_series", "site_abandonment")
    start = harness.clock.now()

    shopify.subscribe(ANN)
    browses_collections(app, client, shopify, shop)
    harness.advance_to(start + 3 * HOUR)

    assert sent(app, start) == [("welcome_series", "email", "welcome_1", timedelta(0))]
    assert [status for _, _, status, _ in not_sent(app)] == ["skipped"]


def test_by_default_browsing_outranks_lifecycle_mail(app, client, shopify, factory, harness):
    shop = shopify.shop(factory)
    with_bestseller(shopify)
    factory.enable(shop, "welcome_series", "site_abandonment")
    start = harness.clock.now()

    shopify.subscribe(ANN)
    browses_collections(app, client, shopify, shop)
    harness.advance_to(start + 3 * HOUR)

    assert sent(app, start) == [
        ("welcome_series", "email", "welcome_1", timedelta(0)),
        ("site_abandonment", "email", "site_abandonment", 3 * HOUR),
    ]


def test_a_flow_ranked_higher_is_not_held_back_by_a_lower_one(app, client, shopify, factory, harness):
    shop = shopify.shop(factory)
    factory.enable(shop, "welcome_series", "abandoned_checkout")
    start = harness.clock.now()

    shopify.subscribe(ANN)
    shopify.checkout(ANN, "ann-checkout", [Line("1", "11", "Linen shirt", "58.00")])
    harness.advance_to(start + HOUR)

    assert sent(app, start) == [
        ("welcome_series", "email", "welcome_1", timedelta(0)),
        ("abandoned_checkout", "email", "abandoned_checkout_1", HOUR),
    ]


def test_a_transactional_thank_you_is_exempt(app, shopify, factory, harness):
    shop = shopify.shop(factory)
    factory.enable(shop, "welcome_series", "thank_you")
    start = harness.clock.now()

    shopify.subscribe(ANN)
    shopify.order(ANN, 1001, [Line("1", "11", "Linen shirt", "58.00")], "paid")
    harness.advance_to(start + 5 * MINUTE)

    assert [template for _, _, template, _ in sent(app, start)] == ["welcome_1", "thank_you"]


def test_the_frequency_cap_counts_every_marketing_message(app, client, shopify, factory, harness):
    shop = shopify.shop(
        factory, settings={"smart_sending": {"hours": 0}, "frequency_cap": {"messages": 1, "days": 1}}
    )
    with_bestseller(shopify)
    factory.enable(shop, "welcome_series", "site_abandonment")
    start = harness.clock.now()

    shopify.subscribe(ANN)
    browses_collections(app, client, shopify, shop)
    harness.advance_to(start + 3 * HOUR)

    assert not_sent(app) == [
        (
            "site_abandonment",
            "site_abandonment",
            "skipped",
            "frequency cap: 1 marketing messages per 1 days reached",
        )
    ]


def test_a_lower_flow_waits_for_a_recovery_message_due_and_goes_when_the_shopper_buys_first(
    app, shopify, factory, harness
):
    # given Ann left a checkout and subscribed; the welcome series skips what the budget holds back
    shop = shopify.shop(factory)
    factory.enable(shop, "abandoned_checkout", "welcome_series")
    start = harness.clock.now()
    shopify.checkout(ANN, "ann-checkout", [Line("1", "11", "Linen shirt", "58.00")])
    shopify.subscribe(ANN)
    harness.advance_to(start + 30 * MINUTE)

    # when she buys before the reminder is due
    shopify.order(ANN, 1001, [Line("1", "11", "Linen shirt", "58.00")], "placed")
    harness.advance_to(start + HOUR + 2 * MINUTE)

    # then the welcome email waited for the reminder instead of being skipped, and went without it
    assert [(flow, template) for flow, _, template, _ in sent(app, start)] == [
        ("welcome_series", "welcome_1")
    ]
    (welcome,) = rows(app, Message, flow_key="welcome_series")
    assert welcome.timeline[1]["detail"].startswith(
        "contact budget: the last message of the window is kept for Abandoned checkout recovery"
    )


def texted_checkout(client, token: str, at: datetime) -> None:
    """A checkout whose buyer gave email and SMS consent, with a phone in Ottawa."""
    payload = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    payload.update(
        token=token,
        buyer_accepts_marketing=True,
        buyer_accepts_sms_marketing=True,
        sms_marketing_phone="+16135550123",
        updated_at=at.isoformat(),
    )
    deliver(client, "checkouts/create", payload)


def test_the_budget_counts_email_and_sms_together(app, client, factory, harness):
    # given a shopper whose first checkout's SMS reminder went out 13 hours before her second
    # checkout's first email comes due
    shop = factory.shop(timezone="UTC")
    factory.enable(shop, "abandoned_checkout")
    start = harness.clock.now() + 2 * HOUR  # 14:00 UTC, 09:00 in Ottawa: no quiet hours
    harness.advance_to(start)
    texted_checkout(client, "first-checkout", start)
    harness.drain()
    harness.advance_to(start + HOUR)
    harness.advance_to(start + 4 * HOUR)
    harness.advance_to(start + 16 * HOUR)
    texted_checkout(client, "second-checkout", start + 16 * HOUR)
    harness.drain()

    # when the second checkout's first email comes due
    harness.advance_to(start + 17 * HOUR)
    harness.advance_to(start + 20 * HOUR)

    # then the SMS counted against the email: it waited until the window had passed
    assert sent(app, start) == [
        ("abandoned_checkout", "email", "abandoned_checkout_1", HOUR),
        ("abandoned_checkout", "sms", "abandoned_checkout_sms", 4 * HOUR),
        ("abandoned_checkout", "email", "abandoned_checkout_1", 20 * HOUR),
    ]
    second = [m for m in rows(app, Message, channel="email") if m.sent_at == start + 20 * HOUR]
    assert (
        second[0]
        .timeline[1]["detail"]
        .startswith(
            "contact budget: Abandoned checkout recovery sms sent 13 h ago (1 per 16 h across channels)"
        )
    )


def test_a_lower_flow_yields_the_last_message_of_the_window_to_a_recovery_message_due(
    app, shopify, factory, harness
):
    # given Ann left a checkout (its reminder is due in an hour), then subscribes to the newsletter
    # (browse abandonment cannot be pending beside a recovery flow: the engine ends it, so the
    # lower flow here is the welcome series)
    shop = shopify.shop(factory)
    factory.enable(
        shop, "abandoned_checkout", "welcome_series", welcome_series={"params": {"smart_sending": "defer"}}
    )
    start = harness.clock.now()
    shopify.checkout(ANN, "ann-checkout", [Line("1", "11", "Linen shirt", "58.00")])
    shopify.subscribe(ANN)

    # when the welcome email and then the reminder come due
    harness.advance_to(start + HOUR)
    harness.advance_to(start + HOUR + 2 * MINUTE)
    harness.advance_to(start + 17 * HOUR)

    # then the welcome email waited for the reminder, and for the window after it
    assert sent(app, start) == [
        ("abandoned_checkout", "email", "abandoned_checkout_1", HOUR),
        ("welcome_series", "email", "welcome_1", 17 * HOUR),
    ]
    (welcome,) = rows(app, Message, flow_key="welcome_series")
    assert welcome.timeline[1]["detail"].startswith(
        "contact budget: the last message of the window is kept for Abandoned checkout recovery, due "
    )


def test_an_sms_due_in_quiet_hours_waits_for_the_morning_in_the_shoppers_time_zone(
    app, client, factory, harness
):
    shop = factory.shop(timezone="UTC")
    factory.enable(shop, "abandoned_checkout")
    harness.advance(12 * HOUR)  # 00:00 UTC: 19:00 in Ottawa, where the shopper's number is
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

    harness.advance_to(checkout_at + HOUR)
    harness.advance_to(checkout_at + 4 * HOUR)  # 23:00 in Ottawa
    harness.advance_to(datetime(2026, 11, 27, 13, 0, tzinfo=UTC))  # 08:00 in Ottawa

    assert sent(app, checkout_at) == [
        ("abandoned_checkout", "email", "abandoned_checkout_1", HOUR),
        ("abandoned_checkout", "sms", "abandoned_checkout_sms", 13 * HOUR),
    ]
    (sms,) = rows(app, Message, channel="sms")
    assert sms.timeline[1]["detail"] == "quiet hours (21:00-08:00 America/Toronto): deferred to 08:00"


@pytest.mark.parametrize(
    ("local", "resume"),
    [
        ("2026-11-26T20:59", None),
        ("2026-11-26T21:00", "2026-11-27T08:00"),
        ("2026-11-27T03:00", "2026-11-27T08:00"),
        ("2026-11-27T08:00", None),
    ],
)
def test_quiet_hours_span_midnight(local, resume):
    found = quiet_until(time(21), time(8), datetime.fromisoformat(local))

    assert found == (datetime.fromisoformat(resume) if resume else None)


def test_daytime_quiet_hours(local="2026-11-26T13:30"):
    assert quiet_until(time(12), time(14), datetime.fromisoformat(local)) == datetime.fromisoformat(
        "2026-11-26T14:00"
    )
