"""The history sync core: a platform's past merged by the webhook rules, resumable, and silent.

The platform is a ``HistorySource`` in memory (tests/support/history.py); the webhooks that arrive
during a sync and the flows that fire afterwards go through the real endpoints and workers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from app.core.facts import ConsentState, ContactFacts
from app.db.models import AlertWave, ConsentChange, Contact, Enrollment, HistorySyncState, Message, Order
from app.shops.history import HistoryResource
from app.sync.state import SyncStatus, progress_of
from tests.support.db import count, rows
from tests.support.history import Crash, MemoryHistory, customer, order, sync
from tests.support.outbox import sent
from tests.support.stores import Line, ShopifyStore, Shopper

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def shirt() -> Line:
    return Line("632910393", "808950811", "Linen shirt", "50.00")


def test_the_sync_stores_customers_and_orders_and_marks_each_resource_done(app, factory, clock):
    shop = factory.shop()
    now = clock.now()
    history = MemoryHistory()
    history.records[HistoryResource.CUSTOMERS] = [customer(1, now - 200 * DAY, ConsentState.SUBSCRIBED)]
    history.records[HistoryResource.ORDERS] = [order(n, 1, now - (100 + n) * DAY) for n in range(5)]

    outcome = sync(app, shop.id, history)

    assert outcome.finished
    assert count(app, Order) == 5
    (contact,) = rows(app, Contact)
    assert {o.contact_id for o in rows(app, Order)} == {contact.id}
    states = {s.resource: (s.status, s.done, s.total, s.cursor) for s in rows(app, HistorySyncState)}
    assert states == {
        "customers": ("done", 1, 1, None),
        "products": ("done", 0, 0, None),
        "orders": ("done", 5, 5, None),
    }


def test_the_sync_sends_nothing_and_enrolls_no_one(app, factory, clock, harness):
    shop = factory.shop()
    factory.enable(shop, "welcome_series", "thank_you", "abandoned_checkout", "vip", "back_in_stock")
    now = clock.now()
    history = MemoryHistory()
    history.records[HistoryResource.CUSTOMERS] = [
        customer(n, now - 3 * DAY, ConsentState.SUBSCRIBED) for n in range(3)
    ]
    history.records[HistoryResource.ORDERS] = [order(n, n % 3, now - DAY * n) for n in range(9)]

    sync(app, shop.id, history)
    harness.drain()

    assert count(app, Enrollment) == 0
    assert count(app, Message) == 0
    assert count(app, AlertWave) == 0


def test_a_subscription_read_from_the_history_is_not_held_for_a_double_opt_in(app, factory, clock, harness):
    shop = factory.shop()
    factory.enable(shop, "double_opt_in")
    history = MemoryHistory()
    history.records[HistoryResource.CUSTOMERS] = [customer(1, clock.now() - DAY, ConsentState.SUBSCRIBED)]

    sync(app, shop.id, history)
    harness.drain()

    (contact,) = rows(app, Contact)
    assert (contact.email_consent, contact.email_consent_source) == ("subscribed", "test:history")
    (change,) = rows(app, ConsentChange)
    assert change.source == "test:history"
    assert count(app, Message) == 0


def test_a_crash_between_pages_resumes_after_the_last_stored_page(app, factory, clock):
    shop = factory.shop()
    history = MemoryHistory(page_size=2)
    history.records[HistoryResource.ORDERS] = [order(n, 1, clock.now() - DAY * (n + 1)) for n in range(5)]
    history.crash_after = 2  # two pages stored, then the worker dies

    with pytest.raises(Crash):
        sync(app, shop.id, history)
    (failed,) = rows(app, HistorySyncState, resource="orders")
    assert (failed.status, failed.cursor, failed.done, failed.errors) == ("failed", "4", 4, 1)

    history.crash_after = None
    assert sync(app, shop.id, history).finished

    assert history.cursors_asked[-1] == "4"
    assert count(app, Order) == 5
    (done,) = rows(app, HistorySyncState, resource="orders")
    assert (done.status, done.done) == ("done", 5)


def test_syncing_the_same_history_again_stores_nothing_twice(app, factory, clock):
    shop = factory.shop()
    history = MemoryHistory()
    history.records[HistoryResource.CUSTOMERS] = [customer(1, clock.now() - DAY, ConsentState.SUBSCRIBED)]
    history.records[HistoryResource.ORDERS] = [order(n, 1, clock.now() - DAY * (n + 1)) for n in range(3)]
    sync(app, shop.id, history)
    with app.app_context():
        from app.db import db
        from app.sync.state import start_sync

        assert start_sync(db.session(), shop.id, clock.now())
        db.session.commit()

    sync(app, shop.id, history)

    assert (count(app, Contact), count(app, Order), count(app, ConsentChange)) == (1, 3, 1)


def test_a_webhook_that_arrived_during_the_sync_is_not_overwritten_by_older_history(
    app, client, factory, clock, harness
):
    store = ShopifyStore(client, harness)
    shop = store.shop(factory)
    ann = Shopper("shopper1@example.com", "Ann", "1001")
    store.order(ann, 7, [Line("632910393", "808950811", "Linen shirt", "80.00")], "paid")
    (live,) = rows(app, Order)
    history = MemoryHistory()
    older = live.source_updated_at - HOUR
    history.records[HistoryResource.ORDERS] = [
        order(0, 1, older - HOUR, total="1.00", platform_id=live.platform_id, updated_at=older)
    ]

    sync(app, shop.id, history)

    (kept,) = rows(app, Order)
    assert kept.total_price == live.total_price


def test_a_resource_the_platform_refuses_is_told_and_the_others_are_synced(app, factory, clock):
    shop = factory.shop()
    history = MemoryHistory()
    history.refused = {HistoryResource.CUSTOMERS}
    history.records[HistoryResource.ORDERS] = [order(1, 1, clock.now() - DAY)]

    assert sync(app, shop.id, history).finished

    states = {s.resource: (s.status, s.notice) for s in rows(app, HistorySyncState)}
    assert states["customers"] == ("no_access", "no access to customers")
    assert states["orders"] == ("done", None)


def test_a_platform_still_preparing_makes_the_sync_wait_without_holding_the_worker(app, factory, clock):
    shop = factory.shop()
    history = MemoryHistory()
    history.not_ready = {HistoryResource.PRODUCTS: 30.0}

    outcome = sync(app, shop.id, history)

    assert (outcome.finished, outcome.retry_after) == (False, 30.0)
    (products,) = rows(app, HistorySyncState, resource="products")
    assert products.status == "waiting"
    assert products.retry_at == clock.now() + timedelta(seconds=30)


def test_progress_says_the_rate_and_the_time_left(app, factory, clock):
    shop = factory.shop()
    row = HistorySyncState(
        shop_id=shop.id,
        resource="orders",
        status="running",
        done=300,
        total=1000,
        errors=2,
        started_at=clock.now() - timedelta(seconds=60),
    )

    progress = progress_of(row, clock.now())

    assert (progress.rate, progress.eta, progress.percent) == (5.0, timedelta(seconds=140), 30)
    assert progress.status == SyncStatus.RUNNING


def test_vip_fires_on_the_first_real_order_after_a_synced_history(app, client, factory, clock, harness):
    store = ShopifyStore(client, harness)
    shop = store.shop(factory, timezone="UTC")
    factory.enable(shop, "vip", vip={"params": {"vip_orders": 5, "vip_spend": "10000.00"}})
    start = clock.now()
    history = MemoryHistory()
    history.records[HistoryResource.CUSTOMERS] = [customer(1, start - 300 * DAY, ConsentState.SUBSCRIBED)]
    history.records[HistoryResource.ORDERS] = [order(n, 1, start - (30 * n + 10) * DAY) for n in range(4)]
    sync(app, shop.id, history)
    harness.drain()
    assert count(app, Message) == 0

    store.order(Shopper("shopper1@example.com", "Ann", "1001"), 99, [shirt()], "paid")
    harness.advance(HOUR)

    assert sent(app, start) == [("vip", "email", "vip", HOUR)]


def test_win_back_fires_on_the_first_calendar_tick_after_a_synced_history(app, factory, clock, harness):
    shop = factory.shop(timezone="UTC", storefront_url="https://shop.demo.test")
    factory.enable(shop, "win_back", "thank_you", win_back={"params": {"lapse_days": 90, "discount": False}})
    start = clock.now()
    history = MemoryHistory()
    history.records[HistoryResource.CUSTOMERS] = [
        customer(1, start - 400 * DAY, ConsentState.SUBSCRIBED),
        customer(2, start - 400 * DAY, ConsentState.SUBSCRIBED),
    ]
    history.records[HistoryResource.ORDERS] = [
        order(1, 1, start - 95 * DAY),  # lapsed: the win-back's first message
        order(2, 2, start - 10 * DAY),  # ordered recently: nothing, and no thank-you for the past
    ]
    sync(app, shop.id, history)

    harness.advance(timedelta(minutes=1))

    assert sent(app, start) == [("win_back", "email", "win_back_1", timedelta(minutes=1))]
    (enrollment,) = rows(app, Enrollment)
    assert enrollment.contact_id == rows(app, Contact, email="shopper1@example.com")[0].id


def test_an_unsubscribe_that_arrived_during_the_sync_outranks_an_older_synced_subscription(
    app, client, factory, clock, harness
):
    store = ShopifyStore(client, harness)
    shop = store.shop(factory)
    ann = Shopper("shopper1@example.com", "Ann", "1001")
    store.subscribe(ann)
    store.unsubscribe(ann)
    history = MemoryHistory()
    history.records[HistoryResource.CUSTOMERS] = [
        customer(1, clock.now() - 30 * DAY, ConsentState.SUBSCRIBED)
    ]

    sync(app, shop.id, history)

    (contact,) = rows(app, Contact)
    assert contact.email_consent == "unsubscribed"


def test_a_new_shopper_named_twice_in_a_page_once_by_email_alone_becomes_one_contact(app, factory, clock):
    shop = factory.shop()
    history = MemoryHistory(page_size=10)
    by_email = order(1, 1, clock.now() - 9 * DAY)
    history.records[HistoryResource.ORDERS] = [
        replace(by_email, contact=ContactFacts(email="shopper1@example.com")),
        order(2, 1, clock.now() - 5 * DAY),
    ]

    sync(app, shop.id, history)

    (contact,) = rows(app, Contact)
    assert (contact.email, contact.platform_customer_id) == ("shopper1@example.com", "1001")
    assert {o.contact_id for o in rows(app, Order)} == {contact.id}
