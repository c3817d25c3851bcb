"""After-purchase flows end to end on both platforms: thank-you split into first and repeat purchase,
cross-sell from the shop's own orders, review request, survey, usage tips and replenishment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db.models import Enrollment
from tests.support.db import count, rows
from tests.support.outbox import bodies, not_sent, sent
from tests.support.saleor import ALLOWLIST
from tests.support.stores import Line, Shopper, Variant

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
ANN = Shopper("ann@example.com", "Ann", "1001")
BEN = Shopper("ben@example.com", "Ben", "1002")


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


def line(store, n: int, title: str, price: str = "20.00", quantity: int = 1) -> Line:
    return Line(store.product_id(n), store.variant_id(n), title, price, quantity)


def test_a_first_purchase_gets_the_welcome_thank_you_and_a_repeat_one_the_welcome_back(
    app, store, factory, harness
):
    shop = store.shop(factory)
    factory.enable(shop, "thank_you")
    start = harness.clock.now()

    store.order(ANN, 1001, [line(store, 1, "Linen shirt")], "paid")
    harness.advance_to(start + 5 * MINUTE)
    harness.advance_to(start + DAY)
    store.order(ANN, 1002, [line(store, 2, "Canvas tote")], "paid")
    harness.advance_to(start + DAY + 5 * MINUTE)

    assert sent(app, start) == [
        ("thank_you", "email", "thank_you", 5 * MINUTE),
        ("thank_you", "email", "thank_you_repeat", DAY + 5 * MINUTE),
    ]
    assert not_sent(app) == []


PLACED, PAID = "order.placed", "order.paid"


@pytest.mark.parametrize("events", [("placed", "paid"), ("paid", "placed")])
@pytest.mark.parametrize("when", [PLACED, PAID])
def test_one_thank_you_per_order_at_the_moment_the_merchant_chose_whatever_the_event_order(
    app, store, factory, harness, when, events
):
    # Shopify's orders/create and orders/paid, Saleor's ORDER_CREATED and ORDER_FULLY_PAID, an hour apart
    shop = store.shop(factory)
    factory.enable(shop, "thank_you", thank_you={"params": {"trigger": when}})
    start = harness.clock.now()

    for hour, event in enumerate(events):
        harness.advance_to(start + hour * HOUR)
        store.order(ANN, 1001, [line(store, 1, "Linen shirt")], event)
        harness.advance_to(start + hour * HOUR + 5 * MINUTE)
    harness.advance_to(start + 2 * HOUR)

    # placed: as soon as the order is first seen (either event says it exists); paid: when paid
    thanked_at = 5 * MINUTE if when == PLACED else HOUR * events.index("paid") + 5 * MINUTE
    assert sent(app, start) == [("thank_you", "email", "thank_you", thanked_at)]


@pytest.mark.parametrize(("when", "thanked"), [(PLACED, 1), (PAID, 0)])
def test_an_order_never_paid_is_thanked_only_when_the_merchant_thanks_on_placing(
    app, store, factory, harness, when, thanked
):
    # cash on delivery, a bank transfer, an order a Saleor channel lets go unpaid
    shop = store.shop(factory)
    factory.enable(shop, "thank_you", thank_you={"params": {"trigger": when}})

    store.order(ANN, 1001, [line(store, 1, "Linen shirt")], "placed")
    harness.advance(DAY)

    assert count(app, Enrollment, flow_key="thank_you") == thanked
    assert len(bodies(app, "thank_you")) == thanked


def test_by_default_shopify_thanks_once_paid_and_saleor_once_placed(app, store, factory, harness):
    # Saleor sends ORDER_FULLY_PAID only once charged in full: an authorised, cash-on-delivery or
    # allowed-unpaid order may wait days. Shopify confirms every order itself and pays most at once.
    shop = store.shop(factory)
    factory.enable(shop, "thank_you")

    store.order(ANN, 1001, [line(store, 1, "Linen shirt")], "placed")
    harness.advance(DAY)

    assert len(bodies(app, "thank_you")) == {"shopify": 0, "saleor": 1}[store.platform]


def test_cross_sell_suggests_what_other_orders_paired_with_the_purchase(app, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "cross_sell")
    start = harness.clock.now()
    shirt, tote, socks = (
        line(store, 1, "Linen shirt"),
        line(store, 2, "Canvas tote"),
        line(store, 3, "Wool socks"),
    )
    store.order(BEN, 900, [shirt, tote], "placed", placed_at=start - 20 * DAY)
    store.order(
        Shopper("cy@example.com", "Cy", "1003"),
        901,
        [shirt, tote, socks],
        "placed",
        placed_at=start - 10 * DAY,
    )
    store.subscribe(ANN)

    store.order(ANN, 1001, [shirt], "paid")
    harness.advance_to(start + 5 * DAY)

    assert ("cross_sell", "email", "cross_sell", 5 * DAY) in sent(app, start)
    (email,) = bodies(app, "cross_sell")
    assert "- Canvas tote: $20.00" in email.body_text
    assert "- Wool socks: $20.00" in email.body_text
    assert email.body_text.index("Canvas tote") < email.body_text.index("Wool socks")
    assert "Linen shirt" not in email.body_text.split("often paired it with these:")[1]


def test_cross_sell_without_history_sends_nothing(app, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "cross_sell")
    start = harness.clock.now()
    store.subscribe(ANN)

    store.order(ANN, 1001, [line(store, 1, "Linen shirt")], "paid")
    harness.advance_to(start + 5 * DAY)

    assert sent(app, start) == []
    assert not_sent(app) == [
        ("cross_sell", "cross_sell", "skipped", "nothing to show: no related products for this shopper")
    ]


def test_review_request_and_survey_follow_fulfilment(app, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(
        shop,
        "review_request",
        "post_purchase_survey",
        post_purchase_survey={"params": {"survey_url": "https://forms.example/how-did-we-do"}},
    )
    start = harness.clock.now()
    store.subscribe(ANN)

    store.order(ANN, 1001, [line(store, 1, "Linen shirt")], "fulfilled")
    harness.advance_to(start + 3 * DAY)
    harness.advance_to(start + 7 * DAY)

    assert sent(app, start) == [
        ("post_purchase_survey", "email", "post_purchase_survey", 3 * DAY),
        ("review_request", "email", "review_request", 7 * DAY),
    ]
    (survey,) = bodies(app, "post_purchase_survey")
    assert survey.links == ["https://forms.example/how-did-we-do", survey.links[1]]


def test_usage_tips_match_products_and_collections(app, store, factory, harness):
    shop = store.shop(factory)
    tips = [
        {"match": "product", "key": store.product_id(1), "text": "Iron the linen while damp."},
        {"match": "collection", "key": "Bags", "text": "Canvas softens with every wash."},
        {"match": "product", "key": "not-bought", "text": "Never shown."},
    ]
    factory.enable(shop, "product_usage_tips", product_usage_tips={"params": {"tips": tips}})
    start = harness.clock.now()
    store.product(store.product_id(2), "Canvas tote", [Variant(store.variant_id(2), "24.00", 10)], ("bags",))
    store.subscribe(ANN)

    store.order(ANN, 1001, [line(store, 1, "Linen shirt"), line(store, 2, "Canvas tote")], "fulfilled")
    harness.advance_to(start + 2 * DAY)

    assert sent(app, start) == [("product_usage_tips", "email", "usage_tips", 2 * DAY)]
    (email,) = bodies(app, "usage_tips")
    assert "- Iron the linen while damp.\n- Canvas softens with every wash.\n" in email.body_text
    assert "Never shown" not in email.body_text


def test_replenishment_comes_when_the_consumable_should_run_out(app, store, factory, harness):
    shop = store.shop(factory)
    coffee, filters = line(store, 5, "Coffee beans"), line(store, 6, "Paper filters")
    lasting = {coffee.product_id: 30, filters.product_id: 60}
    factory.enable(shop, "replenishment", replenishment={"params": {"products": lasting}})
    start = harness.clock.now()
    store.subscribe(ANN)

    store.order(ANN, 1001, [coffee, filters, line(store, 1, "Linen shirt")], "paid")
    harness.advance_to(start + 29 * DAY)
    harness.advance_to(start + 30 * DAY)

    assert sent(app, start) == [("replenishment", "email", "replenishment", 30 * DAY)]
    (email,) = bodies(app, "replenishment")
    assert "- Coffee beans: $20.00" in email.body_text
    assert "Linen shirt" not in email.body_text


def test_an_order_without_consumables_does_not_enter_replenishment(app, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "replenishment", replenishment={"params": {"products": {"elsewhere": 30}}})
    store.subscribe(ANN)

    store.order(ANN, 1001, [line(store, 1, "Linen shirt")], "paid")

    assert count(app, Enrollment) == 0


def test_buying_the_consumable_again_ends_the_reminder(app, store, factory, harness):
    shop = store.shop(factory)
    coffee = line(store, 5, "Coffee beans")
    factory.enable(shop, "replenishment", replenishment={"params": {"products": {coffee.product_id: 30}}})
    start = harness.clock.now()
    store.subscribe(ANN)

    store.order(ANN, 1001, [coffee], "paid")
    harness.advance_to(start + 20 * DAY)
    store.order(ANN, 1002, [coffee], "placed")
    harness.advance_to(start + 30 * DAY)

    assert sent(app, start) == []
    first = rows(app, Enrollment)[0]
    assert (first.state, first.exit_reason) == ("exited", "bought again in order #1002")
