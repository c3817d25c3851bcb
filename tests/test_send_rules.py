"""Send-time rules, end to end: smart sending (skip or defer, ranked by flow), the frequency cap,
transactional exemption, and SMS quiet hours in the shopper's time zone (deferred, never dropped)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from app.messaging.local_time import quiet_until
from app.models import Message, Shop
from tests.support.db import rows
from tests.support.outbox import not_sent, sent
from tests.support.samples import sample
from tests.support.shopify import deliver
from tests.support.storefront import batch, drain, post, visitor_id
from tests.support.stores import Line, ShopifyStore, Shopper

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
ANN = Shopper("ann@example.com", "Ann", "1001")


@pytest.fixture
def shopify(client, harness) -> ShopifyStore:
    return ShopifyStore(client, harness)


def browses_collections(app, client, shopify: ShopifyStore, shop: Shop) -> None:
    event = {"type": "collection_viewed", "collection_id": "summer"}
    post(client, shop.storefront_key, batch(visitor_id(), event, customer_id=ANN.customer_id))
    drain(app)
    shopify.harness.drain()


def with_bestseller(shopify: ShopifyStore) -> None:
    """An earlier order, so site abandonment has a bestseller to show (before any flow is on)."""
    bo = Shopper("bo@example.com", "Bo", "1009")
    shopify.order(bo, 900, [Line("1", "11", "Canvas tote", "24.00")], "placed")


def test_smart_sending_skips_a_marketing_email_within_sixteen_hours_of_another(
    app, client, shopify, factory, harness
):
    shop = shopify.shop(factory)
    with_bestseller(shopify)
    factory.enable(shop, "welcome_series", "site_abandonment")
    start = harness.clock.now()

    shopify.subscribe(ANN)
    browses_collections(app, client, shopify, shop)
    harness.advance_to(start + 3 * HOUR)

    assert sent(app, start) == [("welcome_series", "email", "welcome_1", timedelta(0))]
    assert not_sent(app) == [
        (
            "site_abandonment",
            "site_abandonment",
            "skipped",
            "smart sending: Welcome series email sent 3 h ago (window 16 h)",
        )
    ]


def test_smart_sending_can_defer_until_the_window_has_passed(app, client, shopify, factory, harness):
    shop = shopify.shop(factory)
    with_bestseller(shopify)
    factory.enable(
        shop, "welcome_series", "site_abandonment", site_abandonment={"params": {"smart_sending": "defer"}}
    )
    start = harness.clock.now()

    shopify.subscribe(ANN)
    browses_collections(app, client, shopify, shop)
    harness.advance_to(start + 3 * HOUR)
    harness.advance_to(start + 16 * HOUR)

    assert sent(app, start) == [
        ("welcome_series", "email", "welcome_1", timedelta(0)),
        ("site_abandonment", "email", "site_abandonment", 16 * HOUR),
    ]
    (deferred,) = rows(app, Message, flow_key="site_abandonment")
    assert deferred.timeline[1]["detail"].startswith("smart sending: Welcome series email sent 3 h ago")


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
