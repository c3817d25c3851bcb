"""Send-time re-validation against the live store, on both platforms: a recovery message for a
checkout the store already turned into an order, a back-in-stock alert for a variant that sold out
again, a price drop whose price went back up are skipped; the shop decides what happens when the
store cannot be asked; one answer per object a minute serves a whole batch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import respx

from app.db.models import Message, Shop
from app.db.models.decisions import Decision
from tests.support.db import rows
from tests.support.live_store import FakeLiveStore
from tests.support.outbox import not_sent, sent
from tests.support.saleor import ALLOWLIST
from tests.support.storefront import STOREFRONT, batch, drain, our_link, post, visitor_id
from tests.support.stores import Line, Shopper, Variant

HOUR = timedelta(hours=1)
ANN = Shopper("ann@example.com", "Ann", "1001")
SHIRT = Line("1", "11", "Linen shirt", "58.00")


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


@pytest.fixture
def live(app, store) -> Iterator[Callable[[Shop], FakeLiveStore]]:
    """Connect a shop to its platform's (fake) live API: ``live(shop)``."""
    with respx.mock(assert_all_called=False) as router:

        def connect(shop: Shop) -> FakeLiveStore:
            fake = FakeLiveStore()
            fake.connect(app, shop.id, router, getattr(store, "http", None))
            return fake

        yield connect


def lamp_back_in_stock(client, store, shop, stock: int = 5) -> None:
    """Two shoppers asked to be told about the desk lamp; it comes back."""
    lamp = Variant(store.variant_id(1), "80.00", 0)
    store.product(store.product_id(1), "Desk lamp", [lamp])
    for email in ("ann@example.com", "bo@example.com"):
        data = {"email": email, "product_id": store.product_id(1), "variant_id": lamp.variant_id}
        response = client.post(
            f"/storefront/notify?k={shop.storefront_key}", data=data, headers={"Origin": STOREFRONT}
        )
        assert response.status_code == 201
    store.restock(store.product_id(1), "Desk lamp", Variant(lamp.variant_id, "80.00", stock))


def test_a_checkout_the_store_already_completed_gets_no_reminder(app, store, factory, harness, live):
    shop = store.shop(factory)
    factory.enable(shop, "abandoned_checkout")
    api = live(shop)
    start = harness.clock.now()
    store.checkout(ANN, "ann-checkout", [SHIRT])

    api.ordered.add("ann-checkout")  # the order's webhook never came
    harness.advance_to(start + HOUR)

    assert sent(app, start) == []
    assert not_sent(app)[0] == (
        "abandoned_checkout",
        "abandoned_checkout_1",
        "skipped",
        "the checkout was completed (checked with the store at send time)",
    )


def test_a_message_the_store_proved_stale_leaves_the_check_in_the_decision_log(
    app, store, factory, harness, live
):
    shop = store.shop(factory)
    factory.enable(shop, "abandoned_checkout")
    api = live(shop)
    start = harness.clock.now()
    store.checkout(ANN, "ann-checkout", [SHIRT])

    api.ordered.add("ann-checkout")
    harness.advance_to(start + HOUR)

    (decision,) = rows(app, Decision, outcome="skipped", step_index=1)
    assert decision.reason == "the checkout was completed (checked with the store at send time)"
    assert decision.facts == {
        "rule": "store_check",
        "platform": shop.platform,
        "store_reachable": True,
        "channel": "email",
        "template": "abandoned_checkout_1",
    }


def test_a_checkout_the_store_still_holds_open_is_reminded(app, store, factory, harness, live):
    shop = store.shop(factory)
    factory.enable(shop, "abandoned_checkout")
    api = live(shop)
    start = harness.clock.now()
    store.checkout(ANN, "ann-checkout", [SHIRT])

    harness.advance_to(start + HOUR)

    assert sent(app, start) == [("abandoned_checkout", "email", "abandoned_checkout_1", HOUR)]
    assert len(api.queries) == 1


def test_a_back_in_stock_alert_is_skipped_when_the_variant_sold_out_again(
    app, client, store, factory, harness, live
):
    shop = store.shop(factory)
    factory.enable(shop, "back_in_stock")
    api = live(shop)
    api.variants[store.variant_id(1)] = (0, "80.00")  # sold out again before the webhook said so
    start = harness.clock.now()

    lamp_back_in_stock(client, store, shop)
    harness.drain()

    assert sent(app, start) == []
    assert [(flow, status, why) for flow, _, status, why in not_sent(app)] == [
        ("back_in_stock", "skipped", "sold out again (checked with the store at send time)")
    ] * 2


def test_one_answer_a_minute_serves_a_whole_batch(app, client, store, factory, harness, live):
    shop = store.shop(factory)
    factory.enable(shop, "back_in_stock")
    api = live(shop)
    api.variants[store.variant_id(1)] = (5, "80.00")
    start = harness.clock.now()

    lamp_back_in_stock(client, store, shop)
    harness.drain()

    assert [flow for flow, _, _, _ in sent(app, start)] == ["back_in_stock", "back_in_stock"]
    assert len(api.queries) == 1


def test_a_price_drop_is_skipped_when_the_price_went_back_up(app, client, store, factory, harness, live):
    shop = store.shop(factory)
    factory.enable(shop, "price_drop")
    api = live(shop)
    api.variants[store.variant_id(1)] = (10, "80.00")  # the sale already ended
    store.subscribe(ANN)
    store.product(store.product_id(1), "Desk lamp", [Variant(store.variant_id(1), "80.00", 10)])
    event = {"type": "product_viewed", "product_id": store.product_id(1)}
    post(client, shop.storefront_key, batch(visitor_id(), event, link=our_link(app, shop.id, ANN.email)))
    drain(app)
    harness.drain()
    start = harness.clock.now()

    store.product(store.product_id(1), "Desk lamp", [Variant(store.variant_id(1), "60.00", 10)])
    harness.drain()

    assert sent(app, start) == []
    assert not_sent(app) == [
        (
            "price_drop",
            "price_drop",
            "skipped",
            "price is back up to 80.00 from 60.00 (checked with the store at send time)",
        )
    ]


def test_when_the_store_cannot_be_asked_the_reminder_goes_by_default(app, store, factory, harness, live):
    shop = store.shop(factory)
    factory.enable(shop, "abandoned_checkout")
    api = live(shop)
    api.down = True
    start = harness.clock.now()
    store.checkout(ANN, "ann-checkout", [SHIRT])

    harness.advance_to(start + HOUR)

    assert sent(app, start) == [("abandoned_checkout", "email", "abandoned_checkout_1", HOUR)]
    (reminder,) = rows(app, Message, template="abandoned_checkout_1")
    assert reminder.timeline[1]["detail"].startswith("the store could not be asked, sent as the shop chose: ")


def test_a_shop_may_skip_what_the_store_cannot_confirm(app, store, factory, harness, live):
    shop = store.shop(factory, settings={"store_check": {"unreachable": "skip"}})
    factory.enable(shop, "abandoned_checkout")
    api = live(shop)
    api.down = True
    start = harness.clock.now()
    store.checkout(ANN, "ann-checkout", [SHIRT])

    harness.advance_to(start + HOUR)

    assert sent(app, start) == []
    (flow, _, status, why) = not_sent(app)[0]
    assert (flow, status) == ("abandoned_checkout", "skipped")
    assert why is not None and why.startswith("the store could not be asked, and the shop skips then: ")
