"""Recovery flows end to end: the abandoned cart (a cart once linked to a known shopper; Shopify only,
as Saleor keeps carts as checkouts), and the abandoned checkout's last email with a unique discount
and a "what stopped you?" link, on both platforms."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.db.models import DiscountCode, Enrollment
from tests.support.db import rows
from tests.support.outbox import bodies, sent
from tests.support.saleor import ALLOWLIST
from tests.support.samples import sample
from tests.support.shopify import deliver
from tests.support.storefront import batch, drain, proxied_post, visitor_id
from tests.support.stores import Line, ShopifyStore, Shopper

HOUR = timedelta(hours=1)
ANN = Shopper("ann@example.com", "Ann", "1001")
SURVEY = "https://forms.example/what-stopped-you"


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


@pytest.fixture
def shopify(client, harness) -> ShopifyStore:
    return ShopifyStore(client, harness)


def cart_created(client, harness, token: str = "exampleCartId") -> None:
    payload = sample("shopify", "carts_create__shopifydocs-2026-04")
    payload.update(token=token, updated_at=harness.clock.now().isoformat())
    assert deliver(client, "carts/create", payload).status_code == 200
    harness.drain()


def adds_to_cart(app, client, shopify, shop, token: str = "exampleCartId") -> None:
    """Ann, logged in (Shopify's app proxy signs it), adds a product; the post names her cart."""
    event = {
        "type": "product_added_to_cart",
        "product_id": "788032119674292922",
        "quantity": 1,
        "cart_token": token,
    }
    assert (
        proxied_post(client, batch(visitor_id(), event), logged_in_customer_id=ANN.customer_id).status_code
        == 202
    )
    drain(app)
    shopify.harness.drain()


def test_a_cart_linked_to_a_known_shopper_is_reminded_after_one_hour_and_a_day(
    app, client, shopify, factory, harness
):
    shop = shopify.shop(factory)
    factory.enable(shop, "abandoned_cart")
    shopify.subscribe(ANN)
    cart_created(client, harness)
    start = harness.clock.now()

    adds_to_cart(app, client, shopify, shop)
    harness.advance_to(start + HOUR)
    harness.advance_to(start + 24 * HOUR)

    assert sent(app, start) == [
        ("abandoned_cart", "email", "abandoned_cart_1", HOUR),
        ("abandoned_cart", "email", "abandoned_cart_2", 24 * HOUR),
    ]
    (first,) = bodies(app, "abandoned_cart_1")
    assert "- 3 x Example T-Shirt" in first.body_text
    assert "https://shop.demo.test/cart/704912205188288500:3" in first.links  # Shopify's cart permalink


def test_a_cart_without_a_known_shopper_is_only_stored(app, client, shopify, factory, harness):
    shop = shopify.shop(factory)
    factory.enable(shop, "abandoned_cart")

    cart_created(client, harness)

    assert rows(app, Enrollment) == []


def test_the_checkout_from_the_cart_takes_over_from_the_cart_reminders(
    app, client, shopify, factory, harness
):
    shop = shopify.shop(factory)
    factory.enable(shop, "abandoned_cart", "abandoned_checkout")
    shopify.subscribe(ANN)
    cart_created(client, harness)
    adds_to_cart(app, client, shopify, shop)
    start = harness.clock.now()

    harness.advance(30 * timedelta(minutes=1))
    checkout = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    checkout.update(
        cart_token="exampleCartId",
        email=ANN.email,
        buyer_accepts_marketing=True,
        customer={**checkout["customer"], "id": int(ANN.customer_id), "email": ANN.email},
        updated_at=harness.clock.now().isoformat(),
    )
    deliver(client, "checkouts/create", checkout)
    harness.drain()
    harness.advance_to(start + 2 * HOUR)

    assert [flow for flow, _, _, _ in sent(app, start)] == ["abandoned_checkout"]
    cart = rows(app, Enrollment, flow_key="abandoned_cart")[0]
    assert (cart.state, cart.exit_reason) == ("exited", "entered abandoned_checkout")


def test_the_last_checkout_reminder_carries_a_unique_code_and_the_survey_link(
    app, store, factory, harness, discount_api
):
    shop = store.shop(factory)
    factory.enable(
        shop,
        "abandoned_checkout",
        abandoned_checkout={"params": {"discount": True, "discount_percent": 15, "survey_url": SURVEY}},
    )
    api = discount_api(shop)
    start = harness.clock.now()

    store.checkout(
        ANN, "ann-checkout-1", [Line(store.product_id(1), store.variant_id(1), "Linen shirt", "58.00")]
    )
    for at in (HOUR, 4 * HOUR, 24 * HOUR):
        harness.advance_to(start + at)

    assert [(template, at) for _, _, template, at in sent(app, start)] == [
        ("abandoned_checkout_1", HOUR),
        ("abandoned_checkout_2", 24 * HOUR),
    ]
    (code,) = rows(app, DiscountCode)
    assert (code.status, code.percent, code.flow_key) == ("created", 15, "abandoned_checkout")
    assert api.codes == [code.code]
    (last,) = bodies(app, "abandoned_checkout_2")
    assert f"Your code: {code.code}\n15% off your order, one use, until December 4." in last.body_text
    assert SURVEY in last.links
    (first,) = bodies(app, "abandoned_checkout_1")
    assert code.code not in first.body_text


def test_without_a_survey_link_the_last_reminder_invites_a_reply(app, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "abandoned_checkout")
    start = harness.clock.now()

    store.checkout(
        ANN, "ann-checkout-1", [Line(store.product_id(1), store.variant_id(1), "Linen shirt", "58.00")]
    )
    for at in (HOUR, 4 * HOUR, 24 * HOUR):
        harness.advance_to(start + at)

    (last,) = bodies(app, "abandoned_checkout_2")
    assert "What stopped you? Just reply to this email: we read every answer." in last.body_text
    assert "Your code" not in last.body_text
    assert rows(app, DiscountCode) == []
    assert json.loads(json.dumps(last.timeline))[-1]["status"] == "sent"
