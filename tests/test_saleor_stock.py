"""Stock as a real Saleor 3.23 reports it, replayed through the signed endpoint.

Saleor moves ``Product.updatedAt`` when the product is saved and ``ProductVariant.updatedAt`` when
the variant is edited, but neither when stock changes: only each delivery's ``issuedAt`` tells
which stock is newer. Seen on a real instance: ``productUpdate``, then the stock set to 0, left
Storeflow holding ``available=100``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses

from app.db.models import AlertWave, ProductVariant
from tests.support.db import count, rows
from tests.support.saleor import ALLOWLIST, API_URL, deliver, global_id, serve_jwks, signing_key

MINUTE = timedelta(minutes=1)
PRODUCT_ID = global_id("Product", "72")
VARIANT_ID = global_id("ProductVariant", "297")


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


@pytest.fixture(autouse=True)
def saleor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_jwks(mock, signing_key("k1"))
        yield mock


@pytest.fixture
def shop(factory):
    return factory.shop(domain=API_URL, platform="saleor", name="Demo Saleor Store")


def variant(quantity, variant_updated_at):
    """The variant as our subscription queries ask for it."""
    return {
        "id": VARIANT_ID,
        "name": "XL",
        "sku": "HOODIE-XL",
        "updatedAt": variant_updated_at.isoformat(),
        "trackInventory": True,
        "channelListings": [{"price": {"amount": 25.5, "currency": "EUR"}}],
        "stocks": [{"quantity": quantity, "quantityAllocated": 0}],
    }


def product(product_updated_at):
    return {
        "id": PRODUCT_ID,
        "name": "Blue Hoodie",
        "slug": "blue-hoodie",
        "updatedAt": product_updated_at.isoformat(),
        "thumbnail": None,
        "collections": [],
        "category": None,
    }


def product_updated(issued_at, quantity, product_updated_at, variant_updated_at):
    body = {**product(product_updated_at), "variants": [variant(quantity, variant_updated_at)]}
    return {"issuedAt": issued_at.isoformat(), "product": body}


def stock_changed(issued_at, quantity, product_updated_at, variant_updated_at):
    body = {**variant(quantity, variant_updated_at), "product": product(product_updated_at)}
    return {"issuedAt": issued_at.isoformat(), "productVariant": body}


def send(client, harness, event, payload):
    assert deliver(client, event, payload).status_code == 200
    harness.drain()


def available(app):
    (row,) = rows(app, ProductVariant)
    return row.available


def test_stock_set_to_zero_after_a_product_update_is_what_storeflow_holds(app, client, harness, shop):
    created = harness.clock.now()  # the variant was made with its product, and never edited since
    edited = created + 10 * MINUTE
    zeroed = created + 20 * MINUTE

    send(client, harness, "PRODUCT_UPDATED", product_updated(edited, 100, edited, created))
    send(client, harness, "PRODUCT_VARIANT_STOCK_UPDATED", stock_changed(zeroed, 0, edited, created))
    send(client, harness, "PRODUCT_VARIANT_OUT_OF_STOCK", stock_changed(zeroed, 0, edited, created))

    assert available(app) == 0


def test_a_product_update_delivered_after_a_later_stock_change_does_not_bring_old_stock_back(
    app, client, harness, shop
):
    created = harness.clock.now()
    edited = created + 10 * MINUTE
    zeroed = created + 20 * MINUTE

    send(client, harness, "PRODUCT_VARIANT_STOCK_UPDATED", stock_changed(zeroed, 0, edited, created))
    send(client, harness, "PRODUCT_UPDATED", product_updated(edited, 100, edited, created))

    assert available(app) == 0


def test_a_restock_after_that_is_news_for_the_signups(app, client, harness, shop, factory):
    factory.enable(shop, "back_in_stock")
    created = harness.clock.now()
    edited = created + 10 * MINUTE
    send(client, harness, "PRODUCT_UPDATED", product_updated(edited, 100, edited, created))
    send(client, harness, "PRODUCT_VARIANT_OUT_OF_STOCK", stock_changed(edited + MINUTE, 0, edited, created))
    notify = {"email": "ann@example.com", "product_id": PRODUCT_ID, "variant_id": VARIANT_ID}
    # the hosted form is served from APP_URL, so that is its Origin
    signup = client.post(
        f"/storefront/notify?k={shop.storefront_key}",
        data=notify,
        headers={"Origin": "https://storeflow.test"},
    )
    assert signup.status_code == 201

    restock = stock_changed(edited + 30 * MINUTE, 5, edited, created)
    send(client, harness, "PRODUCT_VARIANT_BACK_IN_STOCK", restock)

    assert available(app) == 5
    assert count(app, AlertWave, flow_key="back_in_stock") == 1
