"""The data a message template sees: shop, contact, the flow's subject, and links."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from app.models import Cart, Checkout, Contact, Order, Shop
from flows.subjects import Subject


def template_context(
    shop: Shop, contact: Contact, subject: Subject | None, unsubscribe_url: str
) -> dict[str, Any]:
    """Build the variables every template may use; absent pieces are None, never missing."""
    context: dict[str, Any] = {
        "shop": {"name": shop.display_name, "url": shop.store_url, "email": shop.email},
        "contact": {
            "first_name": contact.first_name,
            "name": " ".join(p for p in (contact.first_name, contact.last_name) if p) or None,
            "email": contact.email,
        },
        "unsubscribe_url": unsubscribe_url,
        "checkout": None,
        "order": None,
        "cart": None,
    }
    if isinstance(subject, Checkout):
        context["checkout"] = {
            "recovery_url": subject.recovery_url,
            "line_items": _items(shop, subject.line_items),
            "total_price": subject.total_price,
            "currency": subject.currency or shop.currency,
        }
    elif isinstance(subject, Order):
        context["order"] = {
            "name": subject.name or f"#{subject.platform_id}",
            "line_items": _items(shop, subject.line_items),
            "total_price": subject.total_price,
            "currency": subject.currency or shop.currency,
            "status_url": subject.status_url,
        }
    elif isinstance(subject, Cart):
        context["cart"] = {"line_items": _items(shop, subject.line_items)}
    return context


def _items(shop: Shop, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add a link per product: its page when known, else a storefront search for its title."""
    enriched = []
    for item in items:
        url = item.get("url") or f"{shop.store_url}/search?q={quote_plus(str(item.get('title', '')))}"
        enriched.append({**item, "url": url})
    return enriched
