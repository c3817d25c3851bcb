"""Missed webhooks: reconciliation asks the platform what changed, processes what never arrived through
the normal path, and duplicates nothing that did.

Shopify's Admin GraphQL API is faked at the HTTP boundary with ``respx`` (Storeflow talks to it
through ``shopifyapp`` and httpx), Saleor's with ``responses``; what they answer is shaped like the
documented ``abandonedCheckouts``, ``orders`` and ``checkouts`` connections.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import responses
import respx

from app.db import db
from app.db.models import Checkout, Enrollment, Message, Order, Shop, WebhookEvent
from app.jobs.reconcile import reconcile_shop, start_if_due
from app.reconcile.core import SETTINGS_KEY
from tests.support.db import count, rows
from tests.support.saleor import ALLOWLIST, API_URL
from tests.support.shopify import deliver
from tests.support.shopify_api import graphql_url
from tests.support.store import checkout_payload
from tests.test_saleor_flows import checkout_payload as saleor_checkout

HOUR = timedelta(hours=1)


@pytest.fixture
def config_changes() -> dict[str, object]:
    return {"saleor_allowed_api_urls": ALLOWLIST}


class FakeShopifyAdmin:
    """Answer the two reconciliation queries with the given nodes, one page each."""

    def __init__(self) -> None:
        self.checkouts: list[dict[str, Any]] = []
        self.orders: list[dict[str, Any]] = []
        self.searches: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if "shop { id }" in body["query"]:
            return httpx.Response(200, json={"data": {"shop": {"id": "gid://shopify/Shop/548380009"}}})
        self.searches.append(body["variables"]["query"])
        field, nodes = (
            ("abandonedCheckouts", self.checkouts)
            if "abandonedCheckouts(" in body["query"]
            else ("orders", self.orders)
        )
        page = {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": nodes}
        return httpx.Response(200, json={"data": {field: page}})


@pytest.fixture
def shopify(respx_mock: respx.MockRouter) -> Iterator[FakeShopifyAdmin]:
    fake = FakeShopifyAdmin()
    respx_mock.post(graphql_url()).mock(side_effect=fake)
    yield fake


@pytest.fixture
def shop(app, factory):
    cipher = app.extensions["storeflow"].cipher
    shop = factory.shop(access_token_enc=cipher.encrypt("shpat_live"))
    factory.enable(shop, "abandoned_checkout", "thank_you")
    return shop


def reconcile(app, shop_id: int) -> str:
    with app.app_context():
        outcome = reconcile_shop(shop_id)
        db.session.remove()
    return outcome


def remote_checkout(
    updated_at: datetime, checkout_id: int = 35550298931313, **changes: Any
) -> dict[str, Any]:
    """An abandoned checkout as the GraphQL Admin API returns it."""
    node = {
        "id": f"gid://shopify/AbandonedCheckout/{checkout_id}",
        "abandonedCheckoutUrl": f"https://demo-shop.myshopify.com/1/checkouts/ac/{checkout_id}/recover?key=k",
        "createdAt": (updated_at - timedelta(minutes=5)).isoformat(),
        "updatedAt": updated_at.isoformat(),
        "completedAt": None,
        "customer": {
            "id": "gid://shopify/Customer/207119551",
            "email": "bob@example.com",
            "firstName": "Bob",
            "lastName": "Norman",
            "phone": None,
            "emailMarketingConsent": {"marketingState": "SUBSCRIBED"},
        },
        "shippingAddress": {"firstName": "Bob", "lastName": "Norman", "phone": None, "countryCodeV2": "CA"},
        "billingAddress": None,
        "totalPriceSet": {"presentmentMoney": {"amount": "398.00", "currencyCode": "USD"}},
        "lineItems": {
            "nodes": [
                {
                    "title": "IPod Nano - 8GB",
                    "quantity": 2,
                    "variantTitle": "Pink",
                    "sku": "IPOD2008PINK",
                    "originalUnitPriceSet": {"presentmentMoney": {"amount": "199.00"}},
                    "product": {"id": "gid://shopify/Product/632910392"},
                    "variant": {"id": "gid://shopify/ProductVariant/808950810"},
                }
            ]
        },
    }
    node.update(changes)
    return node


def remote_order(updated_at: datetime, order_id: int = 450789469, **changes: Any) -> dict[str, Any]:
    """An order as the GraphQL Admin API returns it: paid, not fulfilled."""
    node = {
        "id": f"gid://shopify/Order/{order_id}",
        "name": "#1001",
        "email": "bob@example.com",
        "createdAt": (updated_at - timedelta(minutes=1)).isoformat(),
        "updatedAt": updated_at.isoformat(),
        "cancelledAt": None,
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "statusPageUrl": "https://demo-shop.myshopify.com/1/orders/abc",
        "customer": {
            "id": "gid://shopify/Customer/207119551",
            "email": "bob@example.com",
            "firstName": "Bob",
        },
        "shippingAddress": None,
        "billingAddress": None,
        "totalPriceSet": {"presentmentMoney": {"amount": "398.00", "currencyCode": "USD"}},
        "lineItems": {"nodes": []},
    }
    node.update(changes)
    return node


# --- Shopify ------------------------------------------------------------------------------------


def test_reconciliation_learns_the_id_of_a_shop_installed_before_ids_were_kept(app, shop, shopify):
    reconcile(app, shop.id)

    assert rows(app, Shop, id=shop.id)[0].platform_shop_id == "548380009"


def test_a_checkout_whose_webhooks_never_came_is_processed_and_reminded(app, harness, shop, shopify):
    # given a checkout abandoned 5 hours ago that Shopify never told us about
    shopify.checkouts = [remote_checkout(harness.clock.now() - 5 * HOUR)]

    # when reconciliation runs and the pipeline takes what it stored
    reconcile(app, shop.id)
    harness.drain()

    # then it went through the normal path: a checkout, an enrollment, the overdue first reminder
    (event,) = rows(app, WebhookEvent)
    assert (event.topic, event.status) == ("checkouts/create", "processed")
    assert event.event_id.startswith("reconcile:checkouts/create:35550298931313:")
    (checkout,) = rows(app, Checkout)
    assert (checkout.platform_id, checkout.email) == ("35550298931313", "bob@example.com")
    assert count(app, Enrollment) == 1
    assert [(m.template, m.status) for m in rows(app, Message)] == [("abandoned_checkout_1", "sent")]


def test_finding_the_same_missed_checkout_again_stores_nothing(app, harness, shop, shopify):
    shopify.checkouts = [remote_checkout(harness.clock.now() - 5 * HOUR)]
    reconcile(app, shop.id)
    harness.drain()

    harness.clock.advance(timedelta(minutes=15))
    assert reconcile(app, shop.id).endswith("0 missed")
    harness.drain()

    assert count(app, WebhookEvent) == 1
    assert count(app, Enrollment) == 1


def test_a_checkout_whose_webhook_arrived_is_not_duplicated(app, client, harness, shop, shopify):
    # given the checkout's webhook was received and processed
    payload = checkout_payload(harness.clock, id=35550298931313)
    deliver(client, "checkouts/create", payload)
    harness.drain()
    harness.clock.advance(5 * HOUR)
    shopify.checkouts = [remote_checkout(datetime.fromisoformat(payload["updated_at"]))]

    # when reconciliation sees it in the API
    reconcile(app, shop.id)

    # then nothing is added
    assert count(app, WebhookEvent) == 1
    assert count(app, Checkout) == 1


def test_a_newer_state_we_missed_lands_on_the_checkout_we_hold(app, client, harness, shop, shopify):
    # given the checkout's creation arrived, but not the update saying it was completed
    payload = checkout_payload(harness.clock, id=35550298931313)
    deliver(client, "checkouts/create", payload)
    harness.drain()
    completed = harness.clock.now() + 10 * timedelta(minutes=1)
    harness.clock.advance(5 * HOUR)
    shopify.checkouts = [remote_checkout(completed, completedAt=completed.isoformat())]

    # when reconciliation runs
    reconcile(app, shop.id)
    harness.drain()
    harness.advance(HOUR)

    # then the update went to the same checkout (our token), which stops the recovery flow
    (checkout,) = rows(app, Checkout)
    assert checkout.token == payload["token"]
    assert checkout.completed_at == completed
    (enrollment,) = rows(app, Enrollment)
    assert enrollment.state == "exited"
    assert count(app, Message, status="sent") == 0


def test_checkouts_are_only_looked_at_once_shopify_has_stopped_retrying(app, harness, shop, shopify):
    reconcile(app, shop.id)

    checkout_search = shopify.searches[0]
    until = (harness.clock.now() - timedelta(hours=4, minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert checkout_search.endswith(f"updated_at:<='{until}'")


def test_an_order_we_never_heard_of_is_placed_and_paid_once(app, harness, shop, shopify):
    shopify.orders = [remote_order(harness.clock.now() - HOUR)]

    reconcile(app, shop.id)
    reconcile(app, shop.id)
    harness.drain()
    harness.advance(10 * timedelta(minutes=1))

    assert sorted(e.topic for e in rows(app, WebhookEvent)) == ["orders/create", "orders/paid"]
    (order,) = rows(app, Order)
    assert (order.platform_id, order.paid_at is not None) == ("450789469", True)
    assert [(m.template, m.status) for m in rows(app, Message)] == [("thank_you", "sent")]


def test_only_the_milestone_we_missed_is_added_to_an_order_we_hold(app, client, harness, shop, shopify):
    # given the order's creation arrived but its payment webhook did not
    order = json.loads(json.dumps(remote_order(harness.clock.now())))
    created = {"id": 450789469, "email": "bob@example.com", "updated_at": order["createdAt"], "name": "#1001"}
    deliver(client, "orders/create", created)
    harness.drain()
    shopify.orders = [order]
    harness.clock.advance(HOUR)

    reconcile(app, shop.id)

    assert sorted(e.topic for e in rows(app, WebhookEvent)) == ["orders/create", "orders/paid"]


def test_the_next_run_starts_where_the_last_one_ended(app, harness, shop, shopify):
    reconcile(app, shop.id)
    first_until = rows(app, Shop)[0].settings[SETTINGS_KEY]["orders"]
    harness.clock.advance(timedelta(minutes=15))

    reconcile(app, shop.id)

    since = datetime.fromisoformat(first_until) - timedelta(minutes=5)
    assert shopify.searches[-1].startswith(f"updated_at:>='{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'")


def test_a_malformed_node_is_skipped_and_the_rest_is_reconciled(app, harness, shop, shopify):
    shopify.orders = [{"id": "gid://shopify/Order/1"}, remote_order(harness.clock.now() - HOUR)]

    reconcile(app, shop.id)

    assert count(app, WebhookEvent) == 2


def test_one_worker_starts_each_round_however_many_ask(app, redis, harness):
    queue = harness.services.queue
    now = harness.clock.now()

    started = [start_if_due(redis, queue, now) for _ in range(3)]

    assert started == [True, False, False]
    assert len(queue) == 1


# --- Saleor -------------------------------------------------------------------------------------


@pytest.fixture
def saleor_shop(app, factory):
    cipher = app.extensions["storeflow"].cipher
    shop = factory.shop(
        domain=API_URL,
        platform="saleor",
        access_token_enc=cipher.encrypt("saleor-app-token"),
        settings={"checkout_url_template": "https://shop.example/checkout?checkout={checkout_id}"},
    )
    factory.enable(shop, "abandoned_checkout")
    return shop


def _saleor_answer(checkouts: list[dict[str, Any]]) -> Any:
    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        query = json.loads(request.body)["query"]
        field = "checkouts" if "checkouts(" in query else "orders"
        edges = [{"node": node} for node in (checkouts if field == "checkouts" else [])]
        page = {"pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": edges}
        return 200, {}, json.dumps({"data": {field: page}})

    return answer


def test_a_saleor_checkout_that_never_arrived_is_processed_once(app, harness, saleor_shop):
    node = saleor_checkout(harness.clock, minutes_ago=60)["checkout"]
    with responses.RequestsMock() as saleor:
        api = saleor.add_callback(responses.POST, API_URL, callback=_saleor_answer([node]))
        reconcile(app, saleor_shop.id)
        reconcile(app, saleor_shop.id)
    harness.drain()

    (event,) = rows(app, WebhookEvent)
    assert (event.platform, event.topic, event.status) == ("saleor", "checkout_created", "processed")
    assert count(app, Enrollment) == 1
    sent = json.loads(api.calls[0].request.body)
    assert "fragment StoreflowCheckout on Checkout" in sent["query"]
    assert api.calls[0].request.headers["Authorization"] == "Bearer saleor-app-token"


def test_a_saleor_checkout_we_hold_is_left_alone(app, harness, saleor_shop):
    payload = saleor_checkout(harness.clock, minutes_ago=60)
    with app.app_context():
        db.session.add(
            Checkout(
                shop_id=saleor_shop.id,
                token="uuid",  # what the checkout's global id, Checkout:uuid, names
                platform_id=payload["checkout"]["id"],
                source_updated_at=datetime.fromisoformat(payload["checkout"]["updatedAt"]),
            )
        )
        db.session.commit()
    with responses.RequestsMock() as saleor:
        saleor.add_callback(responses.POST, API_URL, callback=_saleor_answer([payload["checkout"]]))
        reconcile(app, saleor_shop.id)

    assert count(app, WebhookEvent) == 0
