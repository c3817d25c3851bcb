"""Shopify's history sync: bulk operations started, polled and woken by ``bulk_operations/finish``,
their JSONL files streamed from a real HTTP server, merged by the webhook rules and never announced.

The Admin GraphQL API is faked at the HTTP boundary with respx; the result files are served over
HTTP from 127.0.0.1 (tests/support/shopify_bulk.py), shaped like Shopify's documented output.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
import respx

from app.db import db
from app.db.models import (
    Checkout,
    Contact,
    Enrollment,
    HistorySyncState,
    Message,
    Order,
    Product,
    ProductVariant,
)
from app.jobs.history import run_history_sync
from app.jobs.history_queue import request_sync, resume_due
from app.platforms.shopify import history as shopify_history
from app.platforms.shopify.history import RECENT_ORDERS_ONLY
from app.sync.state import Progress
from tests.support.admin import log_in
from tests.support.db import count, rows
from tests.support.shopify import deliver
from tests.support.shopify_bulk import FakeBulkApi, bulk_api, customer_row, jsonl, order_rows, product_rows
from tests.support.store import abandon_checkout
from tests.support.stores import Line, ShopifyStore, Shopper

DAY = timedelta(days=1)
ALL_SCOPES = "read_orders,read_all_orders,read_customers,read_products,read_inventory,write_discounts"


class Crash(RuntimeError):
    """The worker died right after storing a page."""


@pytest.fixture
def bulk(respx_mock: respx.MockRouter) -> Iterator[FakeBulkApi]:
    with bulk_api(respx_mock) as fake:
        yield fake


@pytest.fixture
def shop(app, factory):
    cipher = app.extensions["storeflow"].cipher
    return factory.shop(
        access_token_enc=cipher.encrypt("shpat_live"),
        scopes=ALL_SCOPES,
        storefront_url="https://shop.demo.test",
    )


def run(app, shop_id: int, on_page=None) -> str:
    with app.app_context():
        try:
            return run_history_sync(shop_id, on_page)
        finally:
            db.session.remove()


def sync_all(app, shop_id: int, bulk: FakeBulkApi) -> list[str]:
    """Run the job as the sweep would, Shopify finishing each operation between runs, until done."""
    outcomes = []
    for _ in range(10):
        outcomes.append(run(app, shop_id))
        if outcomes[-1] == "done":
            return outcomes
        bulk.finish_all()
    raise AssertionError(f"the sync never finished: {outcomes}")


def states(app) -> dict[str, tuple[str, int, int | None]]:
    return {s.resource: (s.status, s.done, s.total) for s in rows(app, HistorySyncState)}


def test_customers_products_and_orders_are_read_from_bulk_files(app, shop, bulk):
    bulk.results = {
        "customers": jsonl(
            [
                customer_row(1, birthDate={"value": "1990-05-17"}),
                customer_row(
                    2,
                    email_state="UNSUBSCRIBED",
                    phone="+14155550123",
                    smsMarketingConsent={
                        "marketingState": "SUBSCRIBED",
                        "marketingOptInLevel": "SINGLE_OPT_IN",
                        "consentUpdatedAt": "2025-02-01T10:00:00Z",
                    },
                ),
            ]
        ),
        "products": jsonl(product_rows(1, stock=7, price="58.00")),
        "orders": jsonl(
            order_rows(1, 1, "2025-03-01T10:00:00Z")
            + order_rows(
                2,
                1,
                "2025-04-01T10:00:00Z",
                displayFinancialStatus="REFUNDED",
                cancelledAt="2025-04-02T10:00:00Z",
            )
        ),
    }

    assert sync_all(app, shop.id, bulk)[-1] == "done"

    assert states(app) == {"customers": ("done", 2, 2), "products": ("done", 1, 1), "orders": ("done", 2, 2)}
    ann, ben = rows(app, Contact, Contact.id)
    assert (ann.email, ann.birthday, ann.email_consent, ann.email_consent_source) == (
        "shopper1@example.com",
        "05-17",
        "subscribed",
        "shopify:history",
    )
    assert (ben.email_consent, ben.sms_consent, ben.phone) == ("unsubscribed", "subscribed", "+14155550123")
    (variant,) = rows(app, ProductVariant)
    assert (variant.available, variant.price) == (7, Decimal("58.00"))
    assert rows(app, Product)[0].title == "Linen shirt"
    first, refunded = rows(app, Order, Order.id)
    assert (first.contact_id, first.total_price, first.line_items[0]["product_id"]) == (
        ann.id,
        Decimal("58.00"),
        "632910393",
    )
    assert first.paid_at is not None and first.cancelled_at is None
    assert refunded.cancelled_at is not None
    assert all("groupObjects: true" in q for q in bulk.queries if "bulkOperationRunQuery" in q)


def test_a_run_waits_for_a_running_operation_instead_of_holding_the_worker(app, shop, bulk):
    assert run(app, shop.id) == "waiting 30s for the platform"
    assert run(app, shop.id) == "waiting 30s for the platform"

    assert len(bulk.operations) == 1  # polled, not started again
    (customers,) = rows(app, HistorySyncState, resource="customers")
    assert (customers.status, customers.cursor) == ("waiting", "gid://shopify/BulkOperation/1|0")


def test_bulk_operations_finish_wakes_the_waiting_sync(app, client, harness, shop, bulk):
    bulk.results = {"customers": jsonl([customer_row(1)])}
    run(app, shop.id)
    bulk.finish_all()

    response = deliver(
        client,
        "bulk_operations/finish",
        {
            "admin_graphql_api_id": "gid://shopify/BulkOperation/1",
            "completed_at": "2026-11-26T12:00:00Z",
            "created_at": "2026-11-26T11:59:00Z",
            "error_code": None,
            "status": "completed",
            "type": "query",
        },
    )
    assert response.status_code == 200
    harness.drain()

    assert states(app)["customers"] == ("done", 1, 1)
    assert states(app)["products"][0] == "waiting"  # the next resource's operation has started


def test_a_crash_mid_file_resumes_at_the_line_after_the_last_stored_page(app, shop, bulk, monkeypatch):
    monkeypatch.setattr(shopify_history, "PAGE_SIZE", 2)
    bulk.results = {
        "orders": jsonl([row for n in range(5) for row in order_rows(n, 1, "2025-03-01T10:00:00Z")])
    }
    for _ in range(3):  # customers and products done (nothing to read), the orders' operation finished
        run(app, shop.id)
        bulk.finish_all()
    crashed = []

    def crash_once(progress: Progress) -> None:
        if not crashed:
            crashed.append(progress.done)
            raise Crash("worker killed")

    with pytest.raises(Crash):
        run(app, shop.id, crash_once)
    (orders,) = rows(app, HistorySyncState, resource="orders")
    assert (orders.status, orders.done, orders.cursor) == ("failed", 2, "gid://shopify/BulkOperation/3|4")

    assert run(app, shop.id) == "done"

    assert count(app, Order) == 5
    assert states(app)["orders"] == ("done", 5, 5)
    assert len(bulk.files.requests) == 2  # the orders file, streamed again from the start


def test_a_webhook_newer_than_the_history_keeps_its_data(app, client, harness, shop, bulk):
    store = ShopifyStore(client, harness)
    ann = Shopper("shopper1@example.com", "Ann", "1001")
    store.order(ann, 1, [Line("632910393", "808950811", "Linen shirt", "80.00")], "paid")
    bulk.results = {"orders": jsonl(order_rows(1, 1, "2025-03-01T10:00:00Z", total="1.00"))}

    sync_all(app, shop.id, bulk)

    (order,) = rows(app, Order)
    assert order.total_price == Decimal("80.00")


def test_the_sync_sends_no_message_about_past_orders_or_checkouts(app, client, factory, harness, shop, bulk):
    factory.enable(shop, "thank_you", "abandoned_checkout", "welcome_series", "back_in_stock", "vip")
    bulk.results = {
        "customers": jsonl([customer_row(1)]),
        "products": jsonl(product_rows(1, stock=3)),
        "orders": jsonl(order_rows(1, 1, "2025-03-01T10:00:00Z")),
    }

    sync_all(app, shop.id, bulk)
    harness.drain()

    assert count(app, Message) == 0
    assert count(app, Enrollment) == 0


def test_an_order_read_from_the_history_closes_the_checkout_it_came_from(app, client, harness, shop, bulk):
    abandon_checkout(client, harness)  # a live checkout: its recovery enrolls as it should
    (checkout,) = rows(app, Checkout)
    bulk.results = {"orders": jsonl(order_rows(1, 1, "2025-03-01T10:00:00Z", checkoutToken=checkout.token))}
    with app.app_context():
        db.session.get_one(type(shop), shop.id).settings = {}
        db.session.commit()

    sync_all(app, shop.id, bulk)

    (closed,) = rows(app, Checkout)
    assert closed.order_platform_id == "5778367410001"


def test_hostile_lines_are_left_out_and_the_rest_is_synced(app, shop, bulk):
    good = order_rows(1, 1, "2025-03-01T10:00:00Z")
    hostile = [
        b"not json at all",
        b"[1, 2, 3]",
        b'{"id": null, "email": null}',
        b'{"id": "gid://shopify/Order/1", "updatedAt": "0001-01-01T00:00:00Z",'
        b' "createdAt": "9999-12-31T23:59:59Z"}',
        b'{"id": "gid://shopify/Order/99999999999999999999999", "name": "\\ud800",'
        b' "updatedAt": "2025-03-01T10:00:00Z",'
        b' "totalPriceSet": {"presentmentMoney": {"amount": "1e999999", "currencyCode": "\\udfff"}}}',
        b'{"id": "gid://shopify/LineItem/1", "__parentId": "gid://shopify/Order/404"}',
        b'{"id": "gid://shopify/Order/2", "updatedAt": "2025-03-01T10:00:00Z", "customer": "nobody",'
        b' "lineItems": 5, "totalPriceSet": [1]}',
    ]
    bulk.results = {"orders": b"\n".join(hostile) + b"\n" + jsonl(good)}

    assert sync_all(app, shop.id, bulk)[-1] == "done"

    (orders,) = rows(app, HistorySyncState, resource="orders")
    assert orders.status == "done"
    assert orders.errors >= 3
    assert "5778367410001" in {o.platform_id for o in rows(app, Order)}


def test_without_read_all_orders_the_merchant_is_told_only_recent_orders_were_read(app, factory, bulk):
    cipher = app.extensions["storeflow"].cipher
    shop = factory.shop(access_token_enc=cipher.encrypt("shpat_live"), scopes="read_orders,read_customers")
    bulk.results = {"orders": jsonl(order_rows(1, 1, "2026-11-01T10:00:00Z"))}

    sync_all(app, shop.id, bulk)

    (orders,) = rows(app, HistorySyncState, resource="orders")
    assert (orders.status, orders.done, orders.notice) == ("done", 1, RECENT_ORDERS_ONLY)


def test_an_empty_throttle_bucket_makes_the_sync_wait_its_refill(app, shop, bulk, clock):
    run(app, shop.id)
    bulk.finish_all()
    bulk.available = 0.0  # every answer from now on says the bucket is empty

    run(app, shop.id)  # polls the customers' operation, reads it, then must not start the next

    assert len(bulk.operations) == 1
    (products,) = rows(app, HistorySyncState, resource="products")
    assert products.status == "waiting"
    assert products.retry_at == clock.now() + timedelta(seconds=10 / 100)


def test_another_bulk_operation_in_the_shop_is_waited_for(app, shop, bulk):
    bulk.user_errors = [
        {
            "field": None,
            "message": "A bulk query operation is already in progress.",
            "code": "OPERATION_IN_PROGRESS",
        }
    ]

    assert run(app, shop.id) == "waiting 60s for the platform"


def test_a_refused_token_settles_the_sync_as_unreadable(app, shop, respx_mock):
    respx_mock.post("https://demo-shop.myshopify.com/admin/api/2026-04/graphql.json").respond(401, json={})

    assert run(app, shop.id) == "done"

    assert {s.status for s in rows(app, HistorySyncState)} == {"no_access"}


def test_an_install_opens_the_sync_and_queues_it(app, shop):
    services = app.extensions["storeflow"]
    with app.app_context():
        assert request_sync(db.session(), services, db.session.get_one(type(shop), shop.id))
        assert not request_sync(db.session(), services, db.session.get_one(type(shop), shop.id))
    assert [job.func_name for job in services.queue.jobs] == ["app.jobs.history.run_history_sync"]
    assert {s.status for s in rows(app, HistorySyncState)} == {"pending"}


def test_the_cli_syncs_a_shop_to_the_end_printing_progress(app, shop, bulk, monkeypatch):
    bulk.instant = True
    bulk.results = {
        "customers": jsonl([customer_row(1)]),
        "orders": jsonl(order_rows(1, 1, "2025-03-01T10:00:00Z")),
    }
    pauses: list[float] = []
    monkeypatch.setattr("time.sleep", pauses.append)

    result = app.test_cli_runner().invoke(args=["storeflow", "sync-history", shop.domain])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "sync opened from the start"
    assert lines[-3:] == [
        "customers: done, 1 of 1 (100%)",
        "products: done, 0 of 0 (100%)",
        "orders: done, 1 of 1 (100%)",
    ]
    assert len(pauses) == 3  # once for each operation Shopify prepared
    assert count(app, Order) == 1


def test_the_admin_shows_each_resources_progress_and_the_overview_says_what_is_synced(
    app, client, shop, bulk
):
    bulk.results = {"customers": jsonl([customer_row(1), customer_row(2)])}
    run(app, shop.id)
    bulk.finish_all()
    run(app, shop.id)  # customers read; products waiting
    log_in(client, shop.id)

    page = client.get("/admin/history")
    overview = client.get("/admin")

    assert page.status_code == 200
    assert 'data-resource="customers"' in page.text and "2 of 2 read" in page.text
    assert "Store preparing" in page.text
    assert "Sync running" in page.text  # the button says so, and is disabled
    assert "Customers: 2 synced" in overview.text


def test_the_admin_button_opens_a_sync_and_queues_it(app, client, shop):
    token = log_in(client, shop.id)

    response = client.post("/admin/history/sync", data={"csrf_token": token}, follow_redirects=True)

    assert response.status_code == 200
    assert "has started" in response.text
    queued = [job.func_name for job in app.extensions["storeflow"].queue.jobs]
    assert queued.count("app.jobs.history.run_history_sync") == 1  # beside the admin visit's pixel check
    again = client.post("/admin/history/sync", data={"csrf_token": token}, follow_redirects=True)
    assert "already under way" in again.text


def test_the_sweep_queues_a_sync_once_its_wait_is_over_and_not_before(app, shop, bulk, clock):
    queue = app.extensions["storeflow"].queue
    run(app, shop.id)  # waits 30 s for the customers' operation
    with app.app_context():
        assert resume_due(db.session(), queue, clock.now()) == 0
        clock.advance(timedelta(seconds=31))
        assert resume_due(db.session(), queue, clock.now()) == 1
        assert resume_due(db.session(), queue, clock.now()) == 0  # claimed: not queued twice

    assert [job.func_name for job in queue.jobs] == ["app.jobs.history.run_history_sync"]


def test_bulk_operations_finish_wakes_nothing_when_no_sync_waits(app, client, harness, shop):
    payload = {
        "admin_graphql_api_id": "gid://shopify/BulkOperation/77",
        "completed_at": "2026-11-26T12:00:00Z",
        "created_at": "2026-11-26T11:59:00Z",
        "error_code": None,
        "status": "completed",
        "type": "query",
    }

    assert deliver(client, "bulk_operations/finish", payload).status_code == 200
    harness.drain()

    assert count(app, HistorySyncState) == 0
