"""Hostile values through the real endpoints and a real worker on PostgreSQL, on both platforms.

Each class has one rule (docs/architecture.md, "Bad input"), and under it the shopper is
processed: never crashed on, never dropped. Lone surrogates become U+FFFD; a date outside 1970-2100
counts as absent (the delivery's own time stands in where one is needed); ids are kept exactly as
text whatever their size; a count is clamped into a 32-bit column; null is absent; the first 250
lines of a cart count.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import responses

from app.db import db
from app.db.models import (
    Checkout,
    Contact,
    Enrollment,
    MessageEvent,
    ProductVariant,
    PushSubscription,
    StorefrontEvent,
    WebhookEvent,
)
from demo.saleor import checkout_from_legacy
from tests.support import saleor as saleor_support
from tests.support import sendgrid_events, storefront
from tests.support import shopify as shopify_support
from tests.support.db import rows
from tests.support.messages import sent_message
from tests.support.outbox import bodies, sent
from tests.support.samples import sample
from tests.support.store import checkout_payload
from tests.support.stores import Line, SaleorStore, Shopper, Variant
from tests.test_push_signup import FCM
from tests.test_push_signup import body as push_subscription
from tests.test_push_signup import post as push_post
from tests.test_web_push import PRIVATE_KEY, PUBLIC_KEY

HOUR = timedelta(hours=1)
ANN = Shopper("ann@example.com", "Ann", "1001")
BIG = 2**64  # past any 64-bit column
# The platforms' names for a checkout's creation and update times.
CHECKOUT_DATES = {"shopify": ("created_at", "updated_at"), "saleor": ("created", "updatedAt")}


@pytest.fixture
def config_changes():
    return {
        "saleor_allowed_api_urls": saleor_support.ALLOWLIST,
        "sendgrid_webhook_public_key": sendgrid_events.public_key(),
        "vapid_private_key": PRIVATE_KEY,
        "vapid_public_key": PUBLIC_KEY,
    }


@pytest.fixture
def saleor(client, harness) -> Iterator[SaleorStore]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        saleor_support.serve_jwks(mock, saleor_support.signing_key("k1"))
        yield SaleorStore(client, harness)


def _line(store, n: int, title: str = "Linen shirt") -> Line:
    return Line(store.product_id(n), store.variant_id(n), title, "20.00")


def _statuses(app) -> list[str]:
    return [event.status for event in rows(app, WebhookEvent)]


# --- lone surrogates ------------------------------------------------------------------------------


def test_lone_surrogates_in_a_name_and_a_line_title_become_u_fffd_and_the_shopper_is_recovered(
    app, store, factory, harness
):
    factory.enable(store.shop(factory), "abandoned_checkout")
    start = harness.clock.now()

    store.checkout(Shopper(ANN.email, "A\udfffnn", "1001"), "tok-1", [_line(store, 1, "Shirt \ud83d")])
    harness.advance_to(start + HOUR)

    assert _statuses(app) == ["processed"]
    assert [contact.first_name for contact in rows(app, Contact)] == ["A\ufffdnn"]
    (checkout,) = rows(app, Checkout)
    assert checkout.line_items[0]["title"] == "Shirt \ufffd"
    assert sent(app, start) == [("abandoned_checkout", "email", "abandoned_checkout_1", HOUR)]
    (email,) = bodies(app, "abandoned_checkout_1")
    assert "Shirt \ufffd" in email.body_text


def test_a_lone_surrogate_in_an_email_address_is_replaced_and_the_event_processed(
    app, store, factory, harness
):
    store.shop(factory)

    store.checkout(Shopper("an\udfffn@example.com", "Ann", "1001"), "tok-1", [_line(store, 1)])

    assert _statuses(app) == ["processed"]
    assert [contact.email for contact in rows(app, Contact)] == ["an\ufffdn@example.com"]


# --- dates at the ends of time --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("created", "updated"),
    [
        ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00"),
        ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"),
    ],
)
def test_checkout_dates_at_the_ends_of_time_count_as_absent_and_the_shopper_is_recovered(
    app, store, factory, harness, created, updated
):
    factory.enable(store.shop(factory), "abandoned_checkout")
    start = harness.clock.now()
    created_field, updated_field = CHECKOUT_DATES[store.platform]

    store.checkout(ANN, "tok-1", [_line(store, 1)], {created_field: created, updated_field: updated})
    harness.advance_to(start + HOUR)

    assert _statuses(app) == ["processed"]
    (checkout,) = rows(app, Checkout)
    assert (checkout.source_created_at, checkout.source_updated_at) == (start, start)
    assert sent(app, start) == [("abandoned_checkout", "email", "abandoned_checkout_1", HOUR)]


def test_a_shopify_delivery_triggered_at_the_end_of_time_is_stored_and_processed(
    app, client, harness, factory
):
    factory.shop()

    response = shopify_support.deliver(
        client,
        "checkouts/create",
        checkout_payload(harness.clock, updated_at=None),
        **{"X-Shopify-Triggered-At": "9999-12-31T23:59:59-14:00"},
    )
    harness.drain()

    assert response.status_code == 200
    assert _statuses(app) == ["processed"]
    assert [checkout.source_updated_at for checkout in rows(app, Checkout)] == [harness.clock.now()]


def test_a_saleor_delivery_issued_at_the_end_of_time_is_stored_and_processed(app, client, harness, factory):
    factory.shop(domain=saleor_support.API_URL, platform="saleor")
    payload = checkout_from_legacy(
        sample("saleor", "SHIPPING_LIST_METHODS_FOR_CHECKOUT__saleor-docs-legacy-checkout")[0]
    )
    payload["checkout"]["updatedAt"] = None

    with responses.RequestsMock() as saleor:
        saleor_support.serve_jwks(saleor, saleor_support.signing_key("k1"))
        response = saleor_support.deliver(
            client, "CHECKOUT_CREATED", {"issuedAt": "0001-01-01T00:00:00+01:00", **payload}
        )
    harness.drain()

    assert response.status_code == 200
    assert _statuses(app) == ["processed"]
    assert [checkout.source_updated_at for checkout in rows(app, Checkout)] == [harness.clock.now()]


# --- ids above 2^63, counts above 2^31 ------------------------------------------------------------


def test_shopify_ids_above_2_63_are_kept_exactly_as_json_numbers_and_as_strings(
    app, client, harness, factory
):
    factory.shop()
    payload = checkout_payload(harness.clock)
    payload["customer"] = {**payload["customer"], "id": BIG}
    payload["line_items"] = [
        {"title": "Shirt", "quantity": 1, "price": "20.00", "product_id": BIG, "variant_id": str(BIG + 1)}
    ]

    shopify_support.deliver(client, "checkouts/create", payload)
    harness.drain()

    assert _statuses(app) == ["processed"]
    assert [contact.platform_customer_id for contact in rows(app, Contact)] == [str(BIG)]
    (line,) = rows(app, Checkout)[0].line_items
    assert (line["product_id"], line["variant_id"]) == (str(BIG), str(BIG + 1))


def test_saleor_global_ids_of_keys_above_2_63_are_kept_exactly(app, saleor, factory, harness):
    saleor.shop(factory)
    shopper = Shopper(ANN.email, ANN.first_name, str(BIG))

    saleor.checkout(shopper, "tok-1", [_line(saleor, 1)])

    assert _statuses(app) == ["processed"]
    assert [contact.platform_customer_id for contact in rows(app, Contact)] == [saleor.customer_ref(shopper)]


def test_a_saleor_id_sent_as_a_json_number_is_refused_with_its_reason(app, client, harness, factory):
    factory.shop(domain=saleor_support.API_URL, platform="saleor")
    payload = checkout_from_legacy(
        sample("saleor", "SHIPPING_LIST_METHODS_FOR_CHECKOUT__saleor-docs-legacy-checkout")[0]
    )
    payload["checkout"]["id"] = BIG

    with responses.RequestsMock() as saleor:
        saleor_support.serve_jwks(saleor, saleor_support.signing_key("k1"))
        saleor_support.deliver(client, "CHECKOUT_CREATED", payload)
    harness.drain()

    (event,) = rows(app, WebhookEvent)
    assert (event.status, event.error) == ("rejected", "payload rejected: id must be a string")


def test_stock_beyond_a_32_bit_count_is_clamped_and_the_product_processed(app, store, factory, harness):
    store.shop(factory)

    store.product(store.product_id(1), "Linen shirt", [Variant(store.variant_id(1), "20.00", BIG)])

    assert _statuses(app) == ["processed"]
    assert [variant.available for variant in rows(app, ProductVariant)] == [2**31 - 1]


def test_shopify_stock_levels_summing_past_a_32_bit_count_are_clamped(app, client, harness, factory):
    factory.shop()
    product = {"id": 632910392, "title": "Shirt", "updated_at": harness.clock.now().isoformat()}
    product["variants"] = [{"id": 808950810, "inventory_item_id": 341629, "inventory_quantity": 0}]
    shopify_support.deliver(client, "products/update", product)

    for location in (1, 2):
        level = {"inventory_item_id": 341629, "location_id": location, "available": BIG}
        shopify_support.deliver(client, "inventory_levels/update", level)
    harness.drain()

    assert _statuses(app) == ["processed"] * 3
    assert [variant.available for variant in rows(app, ProductVariant)] == [2**31 - 1]


# --- nulls, and 250-line carts --------------------------------------------------------------------


def test_a_checkout_whose_every_field_but_its_key_is_null_is_processed(app, store, factory, harness):
    store.shop(factory)
    shopify_fields = sample("shopify", "checkouts_create__shopifydocs-2026-04").keys() - {"token"}
    saleor_fields = checkout_from_legacy(
        sample("saleor", "SHIPPING_LIST_METHODS_FOR_CHECKOUT__saleor-docs-legacy-checkout")[0]
    )["checkout"].keys() - {"id"}
    fields = {"shopify": shopify_fields, "saleor": saleor_fields}[store.platform]

    store.checkout(ANN, "tok-1", [_line(store, 1)], dict.fromkeys(fields))

    assert _statuses(app) == ["processed"]
    assert len(rows(app, Checkout)) == 1


@pytest.mark.parametrize(("lines", "kept"), [(250, 250), (300, 250)])
def test_a_cart_of_250_lines_is_kept_whole_and_a_longer_one_keeps_its_first_250(
    app, store, factory, harness, lines, kept
):
    factory.enable(store.shop(factory), "abandoned_checkout")

    store.checkout(ANN, "tok-1", [_line(store, n, f"Item {n}") for n in range(lines)])

    assert _statuses(app) == ["processed"]
    (checkout,) = rows(app, Checkout)
    assert [line["title"] for line in checkout.line_items] == [f"Item {n}" for n in range(kept)]
    assert [enrollment.flow_key for enrollment in rows(app, Enrollment)] == ["abandoned_checkout"]


# --- the other doors: the storefront, SendGrid, web push ------------------------------------------


def test_a_storefront_search_with_a_lone_surrogate_is_stored_with_u_fffd(app, client, factory):
    shop = factory.shop(storefront_url=storefront.STOREFRONT)
    event = {"type": "search_submitted", "search_query": "Shirt \ud83d"}

    response = storefront.post(client, shop.storefront_key, storefront.batch(None, event))
    storefront.drain(app)

    assert response.status_code == 202
    assert [e.search_query for e in rows(app, StorefrontEvent)] == ["Shirt \ufffd"]


def test_sendgrid_events_with_lone_surrogates_and_dates_at_the_end_of_time_are_recorded(
    app, client, factory, clock
):
    shop = factory.shop()
    contact = factory.contact(shop, email="jane@example.com")
    message = sent_message(db.session, shop, contact, clock.now() - HOUR)
    bounce = sendgrid_events.event(
        "bounce", message.id, reason="550 unknown \udfff", timestamp=253402300799, type="bounce"
    )

    response = sendgrid_events.post_events(client, [bounce])

    assert response.status_code == 200
    assert [(e.detail, e.occurred_at) for e in rows(app, MessageEvent)] == [
        ("bounce: 550 unknown \ufffd", clock.now())
    ]


def test_a_push_subscription_whose_endpoint_carries_a_lone_surrogate_is_stored_with_u_fffd(
    app, client, factory
):
    shop = factory.shop(storefront_url=storefront.STOREFRONT)

    response = push_post(client, shop, push_subscription(endpoint=FCM + "\udfff"))

    assert response.status_code < 300
    assert [subscription.endpoint for subscription in rows(app, PushSubscription)] == [FCM + "\ufffd"]
