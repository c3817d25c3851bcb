"""Saleor's history reader: the shop's past, page by page through GraphQL, as the facts its webhooks make.

Saleor is faked at the HTTP boundary (tests/support/saleor.py ``SaleorHistoryServer``), serving
the demo's bundled history (demo/history/saleor/) the way the instance pages a connection.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses

from app.core.facts import ConsentState
from app.db import db
from app.platforms.saleor.errors import SaleorApiError
from app.platforms.saleor.graphql import SaleorApi
from app.platforms.saleor.history import SaleorHistory, page_size
from app.platforms.saleor.history_queries import HISTORY_QUERIES
from app.platforms.saleor.manifest import subscription_fragments
from app.platforms.saleor.platform import SaleorPlatform
from app.platforms.saleor.query_cost import DEFAULT_MAX_COMPLEXITY, query_cost
from app.shops.history import HistoryAccessError, HistoryNotReadyError, HistoryResource
from demo.run import START as DEMO_START
from demo.saleor import AUTH_TOKEN as DEMO_AUTH_TOKEN
from demo.saleor import FakeSaleorInstance
from demo.saleor_history import load_history
from tests.support.hostile import BIG_IDS, EXTREME_DATES, LONE_SURROGATES, assert_storable
from tests.support.saleor import ALLOWLIST, API_URL, SaleorHistoryServer, permission_denied
from webhooks.saleor.normalize import normalize

ORDERS, CUSTOMERS, PRODUCTS = HistoryResource.ORDERS, HistoryResource.CUSTOMERS, HistoryResource.PRODUCTS
ORDER_COST_PER_RECORD = 8  # orders, user, billingAddress, shippingAddress, lines, thumbnail, variant, product


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


@pytest.fixture
def saleor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def server(saleor):
    return SaleorHistoryServer(saleor)


@pytest.fixture
def services(app):
    return app.extensions["storeflow"]


@pytest.fixture
def naps():
    return []


def reader(services, naps, max_complexity: int = DEFAULT_MAX_COMPLEXITY) -> SaleorHistory:
    """A reader as the platform makes it, its backoff naps recorded instead of slept."""
    api = SaleorApi(services.http, API_URL, "saleor-app-token")
    return SaleorHistory(api, services.config, services.clock, naps.append, max_complexity)


def edges(resource: HistoryResource) -> list[dict[str, Any]]:
    return load_history()[HISTORY_QUERIES[resource].connection]["edges"]


def three_a_page() -> int:
    """A cost budget that fits three orders a page."""
    return 3 * ORDER_COST_PER_RECORD


# --- paging -------------------------------------------------------------------------------------


def test_every_page_is_read_in_order_each_with_the_cursor_to_resume_from(services, naps, server):
    pages = list(reader(services, naps, three_a_page()).pages(ORDERS, None, None))

    cursors = [edge["cursor"] for edge in edges(ORDERS)]
    assert [len(page.records) for page in pages] == [3, 3, 1]
    assert [page.cursor for page in pages] == [cursors[2], cursors[5], None]
    assert {page.total for page in pages} == {7}
    assert [r.order.name for page in pages for r in page.records] == [
        "#1001",
        "#1003",
        "#1004",
        "#1005",
        "#1006",
        "#1007",
        "#1008",
    ]


def test_each_page_asks_for_the_next_after_the_last_cursor_by_order_number(services, naps, server):
    list(reader(services, naps, three_a_page()).pages(ORDERS, None, None))

    cursors = [edge["cursor"] for edge in edges(ORDERS)]
    assert [v["after"] for v in server.variables()] == [None, cursors[2], cursors[5]]
    assert "sortBy: {field: NUMBER, direction: ASC}" in server.requests[0]["query"]


def test_a_sync_resumed_from_a_saved_cursor_reads_only_what_came_after_it(services, naps, server):
    saved = edges(ORDERS)[3]["cursor"]

    pages = list(reader(services, naps, three_a_page()).pages(ORDERS, saved, None))

    assert [r.order.name for page in pages for r in page.records] == ["#1006", "#1007", "#1008"]
    assert pages[-1].cursor is None
    assert server.variables()[0]["after"] == saved


def test_a_page_that_says_more_without_a_new_cursor_ends_the_resource(services, naps, saleor):
    stuck = {"totalCount": 9, "pageInfo": {"hasNextPage": True, "endCursor": None}, "edges": []}
    saleor.post(API_URL, json={"data": {"customers": stuck}})

    pages = list(reader(services, naps).pages(CUSTOMERS, None, None))

    assert [(page.records, page.cursor, page.total) for page in pages] == [((), None, 9)]


# --- the same facts as the webhooks -------------------------------------------------------------


def test_the_queries_spread_the_webhook_subscriptions_own_fragments(services, naps, server):
    history = reader(services, naps)
    for resource in history.resources:
        list(history.pages(resource, None, None))

    webhooks = ["Storeflow customers", "Storeflow products", "Storeflow orders"]
    for request, webhook in zip(server.requests, webhooks, strict=True):
        assert request["query"].endswith(subscription_fragments(services.config, webhook))


@pytest.mark.parametrize(
    ("resource", "topic", "subject"),
    [
        (ORDERS, "order_created", "order"),
        (CUSTOMERS, "customer_created", "user"),
        (PRODUCTS, "product_updated", "product"),
    ],
)
def test_each_record_is_the_fact_its_webhook_makes_of_the_same_object(
    services, naps, server, resource, topic, subject
):
    (page,) = reader(services, naps).pages(resource, None, None)

    node = edges(resource)[0]["node"]
    assert page.records[0] == normalize(topic, {subject: node}, services.clock.now())


def test_an_old_order_keeps_its_dates_placed_paid_and_fulfilled_and_its_buyers_consent(
    services, naps, server
):
    (page,) = reader(services, naps).pages(ORDERS, None, None)

    first = page.records[0]
    assert first.order.placed_at == datetime(2026, 3, 9, 16, 20, 11, tzinfo=UTC)
    assert first.order.paid_at == first.order.fulfilled_at == datetime(2026, 3, 11, 16, 20, 11, tzinfo=UTC)
    assert first.order.cancelled_at is None
    assert (first.order.total_price, first.order.currency) == (Decimal("89.00"), "USD")
    assert [(line.sku, line.quantity) for line in first.order.line_items] == [
        ("OCT-NVY-L", 1),
        ("BWB-750", 2),
    ]
    assert first.contact.email == "adrian.king@example.com"
    assert [(c.channel, c.state) for c in first.consents] == [("email", ConsentState.SUBSCRIBED)]


def test_a_customer_brings_their_consent_and_birthday_from_metadata(services, naps, server):
    (page,) = reader(services, naps).pages(CUSTOMERS, None, None)

    adrian, maria, sam = page.records
    assert adrian.contact.birthday == "04-22"
    assert [c.state for c in adrian.consents] == [ConsentState.SUBSCRIBED]
    assert [c.source for c in maria.consents] == ["saleor:user_metadata"]
    assert sam.consents == ()  # no metadata key: consent is never assumed


def test_a_product_brings_its_variants_stock_and_channel_price(services, naps, server):
    (page,) = reader(services, naps).pages(PRODUCTS, None, None)

    earbuds = page.records[1].product
    (variant,) = earbuds.variants
    assert (earbuds.title, earbuds.collections) == ("Wireless Earbuds Pro", ("electronics",))
    assert (variant.title, variant.price, variant.currency) == ("Black", Decimal("96.00"), "USD")
    assert variant.available == 15  # 12 - 2 allocated, plus 5 in a second warehouse


# --- since --------------------------------------------------------------------------------------


def test_since_asks_saleor_for_orders_created_from_that_day(services, naps, server):
    since = datetime(2026, 7, 14, 12, 0, tzinfo=UTC)

    (page,) = reader(services, naps).pages(ORDERS, None, since)

    assert "filter: {created: {gte: $since}}" in server.requests[0]["query"]
    assert server.variables()[0]["since"] == "2026-07-14"
    assert [r.order.name for r in page.records] == ["#1005", "#1006", "#1007", "#1008"]


def test_since_skips_older_products_which_saleor_cannot_filter_by_creation(services, naps, server):
    (page,) = reader(services, naps).pages(PRODUCTS, None, datetime(2025, 12, 1, tzinfo=UTC))

    assert "filter:" not in server.requests[0]["query"]
    assert [r.product.title for r in page.records] == ["Wireless Earbuds Pro", "Bamboo Water Bottle"]


# --- Saleor's limits ----------------------------------------------------------------------------


def test_a_full_page_of_orders_costs_far_under_saleors_default_limit(services):
    text = HISTORY_QUERIES[ORDERS].text(services.config, since_filtered=True)

    assert query_cost(text, {"first": 1}) == ORDER_COST_PER_RECORD
    assert query_cost(text, {"first": 100}) == 100 * ORDER_COST_PER_RECORD <= DEFAULT_MAX_COMPLEXITY
    assert page_size(text, DEFAULT_MAX_COMPLEXITY) == 100  # Saleor's pagination limit, not the budget
    assert page_size(text, 400) == 50
    assert page_size(text, 3) == 1


def test_a_page_saleor_finds_too_costly_is_asked_again_at_half_the_size(services, naps, server):
    server.max_first = 25

    pages = list(reader(services, naps).pages(ORDERS, None, None))

    assert [v["first"] for v in server.variables()] == [100, 50, 25]
    assert sum(len(page.records) for page in pages) == 7
    assert naps == []


def test_saleor_refusing_even_one_record_as_too_costly_tells_the_merchant_what_to_raise(
    services, naps, server
):
    server.max_first = 0

    with pytest.raises(HistoryAccessError, match="GRAPHQL_QUERY_MAX_COMPLEXITY"):
        list(reader(services, naps).pages(ORDERS, None, None))


def test_a_429_is_waited_out_as_saleor_asks_then_the_read_goes_on(services, naps, server):
    server.throttled = 2

    (page,) = reader(services, naps).pages(CUSTOMERS, None, None)

    assert naps == [2.0, 2.0]  # the Retry-After the fake sends
    assert len(page.records) == 3


def test_a_429_that_does_not_end_hands_the_wait_to_the_sync(services, naps, server):
    server.throttled = 10

    with pytest.raises(HistoryNotReadyError) as refused:
        list(reader(services, naps).pages(CUSTOMERS, None, None))

    assert refused.value.retry_after == 2.0
    assert len(naps) == 3


def test_an_instance_that_keeps_failing_is_retried_with_backoff_then_left_to_the_sync(services, naps, saleor):
    saleor.post(API_URL, status=502, body="Bad Gateway")

    with pytest.raises(SaleorApiError) as failed:
        list(reader(services, naps).pages(PRODUCTS, None, None))

    assert failed.value.transient
    assert naps == [1.0, 2.0, 4.0]


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "connection", "permission"),
    [
        (CUSTOMERS, "customers", "MANAGE_USERS"),
        (ORDERS, "orders", "MANAGE_ORDERS"),
        (PRODUCTS, "products", "MANAGE_PRODUCTS"),
    ],
)
def test_a_missing_permission_says_which_one_the_merchant_must_grant(
    services, naps, server, resource, connection, permission
):
    server.refused[connection] = permission

    with pytest.raises(HistoryAccessError) as refused:
        list(reader(services, naps).pages(resource, None, None))

    assert permission in str(refused.value)
    assert "Saleor dashboard" in str(refused.value)
    assert naps == []


def test_a_permission_a_nested_field_needs_is_named_as_saleor_names_it(services, naps, saleor):
    saleor.post(API_URL, json=permission_denied("orders", "MANAGE_USERS, MANAGE_STAFF"))

    with pytest.raises(HistoryAccessError) as refused:
        list(reader(services, naps).pages(ORDERS, None, None))

    assert "lacks the MANAGE_USERS or MANAGE_STAFF permission" in str(refused.value)


def test_a_revoked_token_asks_the_merchant_to_reinstall(services, naps, saleor):
    saleor.post(API_URL, status=401, json={"errors": [{"message": "Invalid token"}]})

    with pytest.raises(HistoryAccessError, match="Reinstall Storeflow"):
        list(reader(services, naps).pages(ORDERS, None, None))


def test_the_platform_reads_with_the_shops_app_token(app, services, factory, server):
    shop = factory.shop(
        domain=API_URL, platform="saleor", access_token_enc=services.cipher.encrypt("the-app-token")
    )
    history = SaleorPlatform(services, lambda shop: None).history(db.session, shop)

    (page,) = history.pages(CUSTOMERS, None, None)

    assert len(page.records) == 3
    assert server.tokens == ["Bearer the-app-token"]
    assert history.resources == (CUSTOMERS, PRODUCTS, ORDERS)


def test_a_shop_without_an_app_token_has_no_history_to_read(app, services, factory):
    shop = factory.shop(domain=API_URL, platform="saleor", access_token_enc=None)

    assert SaleorPlatform(services, lambda shop: None).history(db.session, shop) is None


# --- hostile values -----------------------------------------------------------------------------


def hostile_orders() -> dict[str, Any]:
    """The bundled orders, with hostile values in some: the unreadable are skipped, the rest kept."""
    connections = load_history()
    nodes = [edge["node"] for edge in connections["orders"]["edges"]]
    nodes[0]["id"] = None  # unreadable: an order needs its id
    nodes[1]["id"] = 2**64 + 1  # unreadable: an id must be a string
    nodes[2]["lines"] = [None]  # unreadable: a line must be an object
    nodes[3].update(created="0001-01-01T00:00:00+00:00", updatedAt="9999-12-31T23:59:59+00:00")
    nodes[4].update(lines=[], total=None, user=None, userEmail="\ud800@example.com")
    nodes[5]["user"] = {"id": None, "email": None, "birthday": "9999-99-99"}
    connections["orders"]["edges"].append({"cursor": "bm9kZS1sZXNz", "node": None})
    return connections


def test_hostile_records_are_skipped_and_counted_and_never_stop_the_read(services, naps, saleor):
    SaleorHistoryServer(saleor, hostile_orders())
    history = reader(services, naps)

    (page,) = history.pages(ORDERS, None, None)

    assert [r.order.name for r in page.records] == ["#1005", "#1006", "#1007", "#1008"]
    assert history.skipped[ORDERS] == page.skipped == 4  # the page's count is what the sync calls errors
    odd_dates = page.records[0]
    assert odd_dates.occurred_at == services.clock.now()  # years 1 and 9999 are no dates: read time
    assert page.records[1].order.line_items == ()


HOSTILE_VALUES = (None, [], {}, "", *LONE_SURROGATES[:2], *EXTREME_DATES[::3], *BIG_IDS[::3])


@pytest.mark.parametrize("resource", [CUSTOMERS, PRODUCTS, ORDERS])
def test_any_field_of_any_record_holding_a_hostile_value_is_read_or_skipped_and_storable(
    services, naps, saleor, resource
):
    connection = HISTORY_QUERIES[resource].connection
    connections = load_history()
    template = connections[connection]["edges"][0]
    hostile = [
        {"cursor": f"hostile-{field}-{n}", "node": {**template["node"], field: value}}
        for field in template["node"]
        for n, value in enumerate(HOSTILE_VALUES)
    ]
    connections[connection]["edges"] = hostile
    SaleorHistoryServer(saleor, connections)
    history = reader(services, naps)

    pages = list(history.pages(resource, None, None))

    records = [record for page in pages for record in page.records]
    assert len(records) + history.skipped[resource] == len(hostile)  # every record, none lost unsaid
    assert_storable(records)


def test_a_product_whose_creation_is_unreadable_is_kept_when_skipping_older_ones(services, naps, saleor):
    connections = load_history()
    nodes = [edge["node"] for edge in connections["products"]["edges"]]
    nodes[0]["created"], nodes[1]["created"], nodes[2]["created"] = 2**64, "9999-12-31T23:59:59-14:00", None
    SaleorHistoryServer(saleor, connections)

    (page,) = reader(services, naps).pages(PRODUCTS, None, datetime(2026, 11, 1, tzinfo=UTC))

    assert len(page.records) == 3


def test_a_customer_naming_no_one_is_skipped_and_counted(services, naps, saleor):
    connections = load_history()
    connections["customers"]["edges"][0]["node"] = dict.fromkeys(edges(CUSTOMERS)[0]["node"])
    SaleorHistoryServer(saleor, connections)
    history = reader(services, naps)

    (page,) = history.pages(CUSTOMERS, None, None)

    assert len(page.records) == 2
    assert history.skipped[CUSTOMERS] == 1


def test_an_answer_of_the_wrong_shape_is_a_failure_not_a_crash(services, naps, saleor):
    saleor.post(API_URL, json={"data": {"orders": ["not", "a", "connection"]}})

    with pytest.raises(SaleorApiError, match="without orders"):
        list(reader(services, naps).pages(ORDERS, None, None))


def test_a_total_that_is_not_a_count_is_no_total(services, naps, saleor):
    weird = {"totalCount": "7", "pageInfo": {"hasNextPage": False}, "edges": "nope"}
    saleor.post(API_URL, json={"data": {"customers": weird}})

    (page,) = reader(services, naps).pages(CUSTOMERS, None, None)

    assert (page.records, page.cursor, page.total) == ((), None, None)


# --- the demo's bundled history -----------------------------------------------------------------


def test_the_demo_history_has_a_vip_to_be_made_by_one_more_order(services, naps, server):
    (page,) = reader(services, naps).pages(ORDERS, None, None)

    adrians = [r.order for r in page.records if r.order.email == "adrian.king@example.com"]
    assert len(adrians) == 4  # the demo's #1042 (213.00) is his fifth: the VIP flow's 5 orders
    assert sum(order.total_price for order in adrians) + Decimal("213.00") >= Decimal("500.00")


def test_the_demo_history_has_a_customer_lapsed_within_the_win_back_catch_up(services, naps, server):
    (page,) = reader(services, naps).pages(ORDERS, None, None)

    last = max(r.order.placed_at for r in page.records if r.order.email == "maria.gomez@example.com")
    assert DEMO_START - timedelta(days=120) < last <= DEMO_START - timedelta(days=90)


def test_the_demos_stand_in_saleor_serves_its_bundled_history_over_http(services, naps):
    instance = FakeSaleorInstance()
    instance.start()
    try:
        api = SaleorApi(requests.Session(), instance.api_url, DEMO_AUTH_TOKEN)
        history = SaleorHistory(api, services.config, services.clock, naps.append, three_a_page())
        counts = {
            resource: [len(page.records) for page in history.pages(resource, None, None)]
            for resource in history.resources
        }
    finally:
        instance.stop()

    assert counts == {CUSTOMERS: [3], PRODUCTS: [3], ORDERS: [3, 3, 1]}
