"""Merge product and inventory webhooks into ``product`` / ``product_variant`` and report what moved.

A change is reported per variant with its stock and price before and after, so the alerts module
can tell a restock (0 → some), stock running low, or a price drop. A delivery older than what is
stored changes nothing; a product's own fields and each variant carry their own platform time.
That time is when the platform says the delivery's state held, the one rule both adapters feed:
Shopify's ``updated_at`` of the product or inventory level, Saleor's ``issuedAt`` of the event
(its variants' ``updatedAt`` stay put when stock changes, webhooks/saleor/normalize.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.facts import InventoryFacts, ProductFacts, VariantFacts
from app.db.models import Product, ProductVariant, Shop
from app.db.models.rows import get_or_create
from app.db.models.types import clamped_count


@dataclass(frozen=True)
class VariantChange:
    product_id: str
    variant_id: str
    available_before: int | None
    available_after: int | None
    price_before: Decimal | None
    price_after: Decimal | None
    currency: str | None


def merge_product(session: Session, shop: Shop, facts: ProductFacts) -> list[VariantChange]:
    """Store the product and its variants; return each variant's stock and price before and after."""
    product, created = get_or_create(session, Product, shop_id=shop.id, platform_id=facts.platform_id)
    if created or _not_older(facts.updated_at, product.source_updated_at):
        product.title = facts.title or product.title or ""
        product.url = f"{shop.store_url}/products/{facts.handle}" if facts.handle else product.url
        product.image_url = facts.image_url or product.image_url
        product.collections = list(facts.collections) or list(product.collections or [])
        product.source_updated_at = facts.updated_at
    session.flush()
    changes = []
    for variant_facts in facts.variants:
        change = _merge_variant(session, shop, product, variant_facts, facts.updated_at)
        if change is not None:
            changes.append(change)
    return changes


def _merge_variant(
    session: Session, shop: Shop, product: Product, facts: VariantFacts, updated_at: datetime
) -> VariantChange | None:
    variant, created = _variant(session, shop, product, facts.platform_id)
    if not created and not _not_older(updated_at, variant.source_updated_at):
        return None
    before = (variant.available, variant.price)
    variant.product_id = product.id
    variant.title = facts.title or variant.title
    variant.price = facts.price if facts.price is not None else variant.price
    variant.currency = facts.currency or variant.currency or shop.currency
    variant.inventory_item_id = facts.inventory_item_id or variant.inventory_item_id
    variant.available = facts.available
    variant.levels = {}  # the product webhook states the total; location levels start over
    variant.source_updated_at = updated_at
    session.flush()
    return VariantChange(
        product.platform_id,
        variant.platform_id,
        None if created else before[0],
        variant.available,
        None if created else before[1],
        variant.price,
        variant.currency,
    )


def _variant(session: Session, shop: Shop, product: Product, platform_id: str) -> tuple[ProductVariant, bool]:
    """Return the stored variant, or a new one of this product (created in a savepoint: a concurrent
    worker may store it first)."""
    query = select(ProductVariant).filter_by(shop_id=shop.id, platform_id=platform_id)
    variant = session.scalars(query).first()
    if variant is not None:
        return variant, False
    variant = ProductVariant(shop_id=shop.id, product_id=product.id, platform_id=platform_id, levels={})
    try:
        with session.begin_nested():
            session.add(variant)
    except IntegrityError:
        return session.scalars(query).one(), False
    return variant, True


def merge_inventory(session: Session, shop: Shop, facts: InventoryFacts) -> list[VariantChange]:
    """Apply one location's stock of an inventory item to the variant that holds it."""
    variant = session.scalars(
        select(ProductVariant).where(
            ProductVariant.shop_id == shop.id, ProductVariant.inventory_item_id == facts.inventory_item_id
        )
    ).first()
    if variant is None or not _not_older(facts.updated_at, variant.source_updated_at):
        return []  # a variant we never saw: its products/update will bring the total
    product = session.get_one(Product, variant.product_id)
    before = variant.available
    levels = {**(variant.levels or {}), facts.location_id: facts.available}
    variant.levels = levels
    # One location known (most shops): its level is the total. More: the sum of those reported.
    variant.available = clamped_count(sum(levels.values()))
    variant.source_updated_at = facts.updated_at
    session.flush()
    return [
        VariantChange(
            product.platform_id,
            variant.platform_id,
            before,
            variant.available,
            variant.price,
            variant.price,
            variant.currency,
        )
    ]


def _not_older(incoming: datetime, stored: datetime | None) -> bool:
    # Equal times are applied again: one change can arrive as several events of the same time
    # (Saleor's PRODUCT_VARIANT_STOCK_UPDATED and PRODUCT_VARIANT_OUT_OF_STOCK).
    return stored is None or incoming >= stored
