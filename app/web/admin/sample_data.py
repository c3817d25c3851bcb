"""Sample data for previews and test sends: the store's latest real checkout or order, else a made-up one.

Rows are copied into unsaved objects, so a preview can fill in what is missing (a recovery link)
without ever changing the store's data.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Cart, Checkout, Contact, Order, Product, Shop
from app.messaging.context import template_context
from app.messaging.products import product_cards
from flows.definitions import Flow
from flows.settings import flow_settings

SAMPLE_ITEMS: list[dict[str, Any]] = [
    {"title": "Linen shirt", "variant_title": "Medium / Sand", "quantity": 1, "price": "58.00"},
    {"title": "Canvas tote", "variant_title": None, "quantity": 2, "price": "24.00"},
]
SAMPLE_TOTAL = Decimal("106.00")


SAMPLE_PRODUCTS: list[dict[str, Any]] = [
    {"product_id": "sample-1", "title": "Linen shirt", "price": "58.00", "image_url": None},
    {"product_id": "sample-2", "title": "Canvas tote", "price": "24.00", "image_url": None},
]


def sample_context(session: Session, shop: Shop, flow: Flow, app_url: str) -> dict[str, Any]:
    """Build the variables a template of this flow sees, from the store's own data where it has some."""
    subject: Checkout | Order | Cart | None
    if flow.subject == "checkout":
        subject = _sample_checkout(session, shop)
    elif flow.subject == "cart":
        subject = Cart(line_items=SAMPLE_ITEMS, total_price=SAMPLE_TOTAL, currency=shop.currency)
    elif flow.subject == "order":
        subject = _sample_order(session, shop)
    else:
        subject = None
    contact = _sample_contact(session, shop, subject.contact_id if subject is not None else None)
    context = template_context(shop, contact, subject, f"{app_url}/u/sample-unsubscribe-link")
    context.update(_sample_extras(session, shop, flow, app_url))
    return context


def _sample_extras(session: Session, shop: Shop, flow: Flow, app_url: str) -> dict[str, Any]:
    """What content blocks, settings and a discount would add: the store's products where it has some."""
    settings = flow_settings(session, shop.id, flow.key)
    rows = session.scalars(
        select(Product.platform_id).where(Product.shop_id == shop.id).order_by(Product.id.desc()).limit(3)
    )
    cards = product_cards(session, shop, list(rows)) or [
        {**card, "url": f"{shop.store_url}/products/{card['product_id']}", "currency": shop.currency}
        for card in SAMPLE_PRODUCTS
    ]
    tips = [tip["text"] for tip in settings.params.get("tips", [])] or ["Wash at 30 degrees, inside out."]
    dates = settings.params.get("dates") or [{"name": "Black Friday", "date": "11-27"}]
    extras: dict[str, Any] = {
        "products": cards[:2],
        "recommendations": cards,
        "search": {"terms": ["linen shirt"]},
        "tips": tips,
        "alert": {
            "old_price": "60.00",
            "new_price": "45.00",
            "currency": shop.currency,
            "percent_off": 25,
            "available": 3,
        },
        "confirm_url": f"{app_url}/confirm/sample-confirmation-link",
        "params": dict(settings.params),
        "event": {"name": dates[0]["name"], "years": 2},
    }
    if settings.params.get("discount"):
        percent = settings.params.get("discount_percent", 10)
        extras["discount"] = {"code": "SF-SAMPLE", "percent": percent, "expires": "December 31"}
    return extras


def _sample_checkout(session: Session, shop: Shop) -> Checkout:
    latest = session.scalars(
        select(Checkout)
        .where(Checkout.shop_id == shop.id, Checkout.line_items != [])
        .order_by(Checkout.id.desc())
        .limit(1)
    ).first()
    fallback_link = f"{shop.store_url}/checkouts/sample/recover"
    if latest is None:
        return Checkout(
            recovery_url=fallback_link,
            line_items=SAMPLE_ITEMS,
            total_price=SAMPLE_TOTAL,
            currency=shop.currency,
        )
    return Checkout(
        contact_id=latest.contact_id,
        recovery_url=latest.recovery_url or fallback_link,
        line_items=list(latest.line_items),
        total_price=latest.total_price,
        currency=latest.currency,
    )


def _sample_order(session: Session, shop: Shop) -> Order:
    latest = session.scalars(
        select(Order)
        .where(Order.shop_id == shop.id, Order.line_items != [])
        .order_by(Order.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return Order(
            name="#1001",
            line_items=SAMPLE_ITEMS,
            total_price=SAMPLE_TOTAL,
            currency=shop.currency,
            status_url=f"{shop.store_url}/account/orders/sample",
        )
    return Order(
        name=latest.name,
        platform_id=latest.platform_id,
        contact_id=latest.contact_id,
        line_items=list(latest.line_items),
        total_price=latest.total_price,
        currency=latest.currency,
        status_url=latest.status_url,
    )


def _sample_contact(session: Session, shop: Shop, contact_id: int | None) -> Contact:
    real = session.get(Contact, contact_id) if contact_id else None
    if real is None or real.shop_id != shop.id or not real.first_name:
        return Contact(first_name="Jane", last_name="Cooper", email="jane.cooper@example.com")
    return Contact(first_name=real.first_name, last_name=real.last_name, email=real.email)
