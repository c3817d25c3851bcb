"""The data a message template sees: shop, contact, the flow's subject, links, and content blocks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import quote_plus

from app.core.locales import format_day
from app.db.models import Cart, Checkout, Contact, Order, Shop
from app.messaging.languages import LanguageChoice
from flows.subjects import Subject

# What content blocks, the flow's settings and its discount add (app/messaging/content.py); every
# template sees every name, empty until a block fills it.
EXTRAS: dict[str, Any] = {
    "products": [],
    "recommendations": [],
    "search": None,
    "tips": [],
    "alert": None,
    "confirm_url": None,
    "discount": None,
    "params": {},
    "event": {},
}


def message_context(
    shop: Shop,
    contact: Contact,
    subject: Subject | None,
    unsubscribe_url: str,
    extras: Mapping[str, Any],
    language: LanguageChoice | None = None,
) -> dict[str, Any]:
    """Build a message's variables: the template context plus what its content blocks found.

    ``lang`` is the language the message is written in (for ``<html lang>``) and ``locale`` the one
    its ``money`` and ``day`` filters write in; a discount's last day is written in it too.
    """
    context = template_context(shop, contact, subject, unsubscribe_url, extras.get("images"))
    context.update({name: value for name, value in extras.items() if name != "images"})
    if language is not None:
        context.update(lang=language.language, locale=language.format_locale)
        discount = context.get("discount")
        if isinstance(discount, dict) and isinstance(discount.get("expires_at"), date):
            context["discount"] = {
                **discount,
                "expires": format_day(discount["expires_at"], language.format_locale),
            }
    return context


def template_context(
    shop: Shop,
    contact: Contact,
    subject: Subject | None,
    unsubscribe_url: str,
    images: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Build the variables every template may use; absent pieces are None or empty, never missing."""
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
        **{name: value.copy() if isinstance(value, list | dict) else value for name, value in EXTRAS.items()},
    }
    images = images or {}
    if isinstance(subject, Checkout):
        context["checkout"] = {
            "recovery_url": subject.recovery_url,
            "line_items": _items(shop, subject.line_items, images),
            "total_price": subject.total_price,
            "currency": subject.currency or shop.currency,
        }
    elif isinstance(subject, Order):
        context["order"] = {
            "name": subject.name or f"#{subject.platform_id}",
            "line_items": _items(shop, subject.line_items, images),
            "total_price": subject.total_price,
            "currency": subject.currency or shop.currency,
            "status_url": subject.status_url,
        }
    elif isinstance(subject, Cart):
        context["cart"] = {
            "line_items": _items(shop, subject.line_items, images),
            "total_price": subject.total_price,
            "currency": subject.currency or shop.currency,
            "recovery_url": cart_link(shop, subject.line_items),
        }
    return context


def cart_link(shop: Shop, items: list[dict[str, Any]]) -> str:
    """Link that rebuilds the cart on the storefront (Shopify's cart permalink ``/cart/VARIANT:QTY,...``)."""
    lines = [f"{item['variant_id']}:{item.get('quantity') or 1}" for item in items if item.get("variant_id")]
    return f"{shop.store_url}/cart/{','.join(lines)}" if lines else f"{shop.store_url}/cart"


def _items(shop: Shop, items: list[dict[str, Any]], images: Mapping[str, str]) -> list[dict[str, Any]]:
    """Add a link per product (its page when known, else a storefront search) and a catalogue image."""
    enriched = []
    for item in items:
        url = item.get("url") or f"{shop.store_url}/search?q={quote_plus(str(item.get('title', '')))}"
        image = item.get("image_url") or images.get(str(item.get("product_id")))
        enriched.append({**item, "url": url, "image_url": image})
    return enriched
