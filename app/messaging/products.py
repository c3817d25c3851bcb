"""Product cards for messages (title, link, image, price, stock) and recommendations from the shop's
own orders: bestsellers, and products often bought together.

A card is made from the catalogue, or from what the platform said of the product in an order
(``Glimpse``); never from a storefront post, which anyone can write (issue 14.2).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Order, Product, ProductVariant, Shop
from app.db.reads import known, remember

HISTORY = timedelta(days=365)
BESTSELLER_WINDOW = timedelta(days=90)
ORDERS_READ = 2000


@dataclass(frozen=True)
class Glimpse:
    """What the platform said of a product in an order line, for one the catalogue does not have."""

    title: str | None
    url: str | None
    price: Decimal | None
    currency: str | None


def product_cards(
    session: Session,
    shop: Shop,
    product_ids: Iterable[str],
    seen: dict[str, Glimpse] | None = None,
) -> list[dict[str, Any]]:
    """Return a card per product, from the catalogue when we have it, else from what an order said of it.

    A product neither knows is left out.
    """
    ids = list(dict.fromkeys(str(p) for p in product_ids))
    if not ids:
        return []
    products = {
        row.platform_id: row
        for row in session.scalars(
            select(Product).where(Product.shop_id == shop.id, Product.platform_id.in_(ids))
        )
    }
    variants: dict[int, list[ProductVariant]] = {}
    if products:
        rows = session.scalars(
            select(ProductVariant).where(ProductVariant.product_id.in_([p.id for p in products.values()]))
        )
        for variant in rows:
            variants.setdefault(variant.product_id, []).append(variant)
    cards = []
    for product_id in ids:
        product = products.get(product_id)
        event = (seen or {}).get(product_id)
        if product is None and event is None:
            continue
        cards.append(_card(shop, product_id, product, variants.get(product.id, []) if product else [], event))
    return cards


def _card(
    shop: Shop,
    product_id: str,
    product: Product | None,
    variants: list[ProductVariant],
    event: Glimpse | None,
) -> dict[str, Any]:
    title = (product.title if product else None) or (event.title if event else None) or "Product"
    prices = [v.price for v in variants if v.price is not None]
    price: Decimal | None = min(prices) if prices else (event.price if event else None)
    currency = next((v.currency for v in variants if v.currency), None) or (event.currency if event else None)
    url = (product.url if product else None) or (event.url if event else None)
    return {
        "product_id": product_id,
        "title": title,
        "url": url or f"{shop.store_url}/search?q={quote_plus(title)}",
        "image_url": product.image_url if product else None,
        "price": str(price) if price is not None else None,
        "currency": currency or shop.currency,
        "in_stock": any(v.in_stock for v in variants) if variants else None,
    }


def _recent_orders(session: Session, shop_id: int, since: datetime) -> list[list[dict[str, Any]]]:
    """Return the line items (with a product) of recent orders, most recent first, a bounded number."""
    orders = session.scalars(
        select(Order.line_items)
        .where(Order.shop_id == shop_id, Order.placed_at >= since, Order.cancelled_at.is_(None))
        .order_by(Order.placed_at.desc())
        .limit(ORDERS_READ)
    )
    return [[item for item in items if item.get("product_id")] for items in orders]


@dataclass(frozen=True)
class Picks:
    """Recommended products, best first, with what the orders said of each."""

    product_ids: list[str]
    seen: dict[str, Glimpse]


def _picks(counts: Counter[str], orders: list[list[dict[str, Any]]], exclude: set[str], limit: int) -> Picks:
    chosen = [product for product, _ in counts.most_common() if product not in exclude][:limit]
    seen: dict[str, Glimpse] = {}
    for items in orders:
        for item in items:
            product = str(item["product_id"])
            if product in chosen and product not in seen:
                price = Decimal(item["price"]) if item.get("price") is not None else None
                seen[product] = Glimpse(item.get("title"), item.get("url"), price, None)
    return Picks(chosen, seen)


def bestsellers(session: Session, shop_id: int, now: datetime, exclude: set[str], limit: int = 4) -> Picks:
    """Return the products ordered most (by units) over the last 90 days, leaving out ``exclude``."""
    orders = _recent_orders(session, shop_id, now - BESTSELLER_WINDOW)
    units: Counter[str] = Counter()
    for items in orders:
        for item in items:
            units[str(item["product_id"])] += int(item.get("quantity") or 1)
    return _picks(units, orders, exclude, limit)


def bought_together(
    session: Session, shop_id: int, now: datetime, products: set[str], exclude: set[str], limit: int = 3
) -> Picks:
    """Return what other orders held alongside these products, most often first."""
    orders = _recent_orders(session, shop_id, now - HISTORY)
    together: Counter[str] = Counter()
    for items in orders:
        ids = {str(item["product_id"]) for item in items}
        if ids & products:
            together.update(ids - products)
    return _picks(together, orders, exclude, limit)


PRODUCT_IMAGES = "product_images"  # (shop id, product id) → image url or None, for shared reads


def bought_by(session: Session, shop_id: int, contact_id: int) -> set[str]:
    """Return every product the contact ever ordered."""
    orders = session.scalars(
        select(Order.line_items).where(Order.shop_id == shop_id, Order.contact_id == contact_id)
    )
    return {str(item["product_id"]) for items in orders for item in items if item.get("product_id")}


def images_of(session: Session, shop_id: int, product_ids: Iterable[str]) -> dict[str, str]:
    """Return the catalogue image of each product that has one (for line items without theirs).

    Inside a batch (app/db/reads.py) each product's image is looked up once for the whole batch.
    """
    ids = {str(p) for p in product_ids}
    batch = known(session, PRODUCT_IMAGES)
    missing = ids if batch is None else {i for i in ids if (shop_id, i) not in batch}
    found: dict[str, str] = {}
    if missing:
        rows = session.execute(
            select(Product.platform_id, Product.image_url).where(
                Product.shop_id == shop_id, Product.platform_id.in_(missing), Product.image_url.is_not(None)
            )
        )
        found = {product_id: image for product_id, image in rows if image}
        remember(session, PRODUCT_IMAGES, {(shop_id, i): found.get(i) for i in missing})
    if batch is None:
        return found
    return {i: image for i in ids if (image := batch.get((shop_id, i)))}


def preload_images(session: Session, shop_id: int, product_ids: Iterable[str]) -> None:
    """Look up, in one query, the images a batch's messages for one shop may show."""
    images_of(session, shop_id, product_ids)
