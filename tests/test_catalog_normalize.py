"""Product and stock webhooks of both platforms, read into the same neutral facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.core.events import EventKind
from app.core.facts import InventoryFacts, NormalizationError, ProductFacts, VariantFacts
from webhooks.saleor.normalize import normalize as saleor_normalize
from webhooks.shopify.normalize import normalize as shopify_normalize

WHEN = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

# Shopify's product resource example (REST reference), as products/update carries it.
IPOD = {
    "id": 632910392,
    "title": "IPod Nano - 8GB",
    "handle": "ipod-nano",
    "product_type": "Cult Products",
    "tags": "Emotive, Flash Memory, MP3, Music",
    "updated_at": "2012-08-24T14:01:47-04:00",
    "image": {"src": "http://example.com/burton.jpg"},
    "variants": [
        {
            "id": 808950810,
            "title": "Pink",
            "price": "199.00",
            "inventory_policy": "deny",
            "inventory_item_id": 341629,
            "inventory_quantity": 10,
        },
        {
            "id": 808950811,
            "title": "Red",
            "price": "199.00",
            "inventory_policy": "continue",
            "inventory_item_id": 341630,
            "inventory_quantity": 0,
        },
    ],
}


def test_a_shopify_product_update_carries_the_product_and_its_variants():
    normalized = shopify_normalize("products/update", IPOD, WHEN)

    assert normalized.kind == EventKind.PRODUCT_UPDATED
    assert normalized.product == ProductFacts(
        platform_id="632910392",
        updated_at=datetime(2012, 8, 24, 18, 1, 47, tzinfo=UTC),
        title="IPod Nano - 8GB",
        handle="ipod-nano",
        image_url="http://example.com/burton.jpg",
        collections=("cult products", "emotive", "flash memory", "mp3", "music"),
        variants=(
            VariantFacts("808950810", "Pink", Decimal("199.00"), None, 10, "341629"),
            # "continue" keeps selling when out of stock: always available to shoppers.
            VariantFacts("808950811", "Red", Decimal("199.00"), None, None, "341630"),
        ),
    )


def test_a_shopify_inventory_level_update_names_the_item_and_location():
    payload = {
        "inventory_item_id": 341629,
        "location_id": 905684977,
        "available": 6,
        "updated_at": WHEN.isoformat(),
    }

    normalized = shopify_normalize("inventory_levels/update", payload, WHEN)

    assert normalized.inventory == InventoryFacts("341629", "905684977", 6, WHEN)


def test_a_shopify_customer_metafield_gives_the_birthday():
    payload = {
        "id": 706405506930370000,
        "email": "bob@biller.com",
        "metafields": [{"namespace": "facts", "key": "birth_date", "value": "1990-02-29", "type": "date"}],
    }

    normalized = shopify_normalize("customers/update", payload, WHEN)

    assert normalized.contact is not None
    assert normalized.contact.birthday is None  # 1990 had no 29 February
    payload["metafields"][0]["value"] = "1992-02-29"
    assert shopify_normalize("customers/update", payload, WHEN).contact.birthday == "02-29"


def saleor_variant(**changes):
    variant = {
        "id": "UHJvZHVjdFZhcmlhbnQ6Mjk3",
        "name": "XL",
        "sku": "BLUE-XL",
        "updatedAt": WHEN.isoformat(),
        "trackInventory": True,
        "channelListings": [{"price": {"amount": 25.5, "currency": "EUR"}}],
        "stocks": [{"quantity": 7, "quantityAllocated": 2}, {"quantity": 1, "quantityAllocated": 3}],
        "product": {
            "id": "UHJvZHVjdDo3Mg==",
            "name": "Blue Hoodie",
            "slug": "blue-hoodie",
            "updatedAt": WHEN.isoformat(),
            "thumbnail": {"url": "https://cdn.saleor.example/hoodie.png"},
            "collections": [{"name": "Winter"}],
            "category": {"name": "Sweaters"},
        },
    }
    variant.update(changes)
    return variant


def test_a_saleor_variant_event_carries_its_product_price_and_stock_less_allocations():
    normalized = saleor_normalize(
        "product_variant_back_in_stock",
        {"productVariant": saleor_variant(), "issuedAt": WHEN.isoformat()},
        WHEN,
    )

    assert normalized.product == ProductFacts(
        platform_id="UHJvZHVjdDo3Mg==",
        updated_at=WHEN,
        title="Blue Hoodie",
        handle="blue-hoodie",
        image_url="https://cdn.saleor.example/hoodie.png",
        collections=("winter", "sweaters"),
        variants=(VariantFacts("UHJvZHVjdFZhcmlhbnQ6Mjk3", "XL", Decimal("25.5"), "EUR", 5),),
    )


def test_a_saleor_variant_event_is_dated_by_its_issued_at_not_the_variants_updated_at():
    # Saleor 3.23 leaves ProductVariant.updatedAt as it was when the stock changes
    issued = WHEN + timedelta(hours=2)
    payload = {"productVariant": saleor_variant(updatedAt=WHEN.isoformat()), "issuedAt": issued.isoformat()}

    normalized = saleor_normalize("product_variant_stock_updated", payload, WHEN)

    assert (normalized.occurred_at, normalized.product.updated_at) == (issued, issued)


def test_a_saleor_variant_without_tracked_stock_is_always_available():
    payload = {"productVariant": saleor_variant(trackInventory=False)}

    (variant,) = saleor_normalize("product_variant_updated", payload, WHEN).product.variants

    assert variant.available is None


def test_a_saleor_variant_event_without_its_product_is_refused():
    with pytest.raises(NormalizationError, match=r"productVariant\.product is missing"):
        saleor_normalize("product_variant_updated", {"productVariant": saleor_variant(product=None)}, WHEN)


def test_a_saleor_customer_birthday_comes_from_its_metadata():
    user = {"id": "VXNlcjox", "email": "ann@example.com", "birthday": "1990-11-26"}

    normalized = saleor_normalize("customer_updated", {"user": user}, WHEN)

    assert normalized.contact is not None and normalized.contact.birthday == "11-26"
