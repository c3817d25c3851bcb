"""Content blocks a flow's messages show: what the shopper viewed, searched or wished for, the product
an alert is about, recommendations, usage tips, a confirmation link.

Each block fills some template variables (``products``, ``recommendations``, ``search``, ``tips``,
``alert``, ``confirm_url``) and says whether it found anything, so a step that ``needs`` a block
is not sent empty (no viewed products: no browse-abandonment email).

Products a shopper's browser reported are shown from the catalogue only: a storefront post names
ids, and one the catalogue does not have is left out (noted in ``left_out`` for the decision log)
rather than shown with words a page chose (issue 14.2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Contact, Enrollment, Product, Shop, StorefrontEvent
from app.messaging.products import Glimpse, bestsellers, bought_by, bought_together, product_cards
from app.storefront.schema import PRODUCT_VIEWED, SEARCH_SUBMITTED, WISHLIST_ADDED
from app.storefront.visitors import events_of_contact
from flows.settings import ResolvedSettings
from flows.subjects import Subject

# How far back before the flow began a shopper's browsing still belongs to it.
LOOKBACK = timedelta(days=1)
WISHLIST_LOOKBACK = timedelta(days=90)
MAX_PRODUCTS = 4
# Products a browser reported that are looked up in the catalogue at most, latest first.
MAX_CANDIDATES = 20
MAX_TERMS = 3
NOT_IN_CATALOGUE = "not in the catalogue"


@dataclass(frozen=True)
class BlockInput:
    session: Session
    shop: Shop
    contact: Contact
    enrollment: Enrollment
    subject: Subject | None
    settings: ResolvedSettings
    now: datetime
    confirm_url: str | None = None
    # Products the blocks did not show, and why (product id → reason); filled as they run.
    left_out: dict[str, str] = field(default_factory=dict)


Block = Callable[[BlockInput], tuple[dict[str, Any], bool]]


def _subject_products(subject: Subject | None) -> list[str]:
    items = subject.line_items if subject is not None else []
    return [str(item["product_id"]) for item in items if item.get("product_id")]


def _reported(events: list[StorefrontEvent]) -> list[str]:
    """Return the products the events name, each once, latest first (events come latest first)."""
    return list(dict.fromkeys(event.product_id for event in events if event.product_id))


def _catalogue_cards(data: BlockInput, product_ids: list[str]) -> tuple[dict[str, Any], bool]:
    """Show the reported products the catalogue has; note the others as left out."""
    candidates = product_ids[:MAX_CANDIDATES]
    cards = product_cards(data.session, data.shop, candidates)
    shown = {card["product_id"] for card in cards}
    data.left_out.update({product: NOT_IN_CATALOGUE for product in candidates if product not in shown})
    return {"products": cards[:MAX_PRODUCTS]}, bool(cards)


def viewed(data: BlockInput) -> tuple[dict[str, Any], bool]:
    since = data.enrollment.started_at - LOOKBACK
    events = events_of_contact(data.session, data.shop.id, data.contact.id, (PRODUCT_VIEWED,), since)
    return _catalogue_cards(data, _reported(events))


def wishlist(data: BlockInput) -> tuple[dict[str, Any], bool]:
    since = data.now - WISHLIST_LOOKBACK
    events = events_of_contact(data.session, data.shop.id, data.contact.id, (WISHLIST_ADDED,), since)
    return _catalogue_cards(data, _reported(events))


def searches(data: BlockInput) -> tuple[dict[str, Any], bool]:
    since = data.enrollment.started_at - LOOKBACK
    events = events_of_contact(data.session, data.shop.id, data.contact.id, (SEARCH_SUBMITTED,), since)
    terms = list(dict.fromkeys(e.search_query for e in events if e.search_query))[:MAX_TERMS]
    matches: list[str] = []
    for term in terms:
        for word in term.split():
            if len(word) < 3:
                continue
            matches += data.session.scalars(
                select(Product.platform_id)
                .where(Product.shop_id == data.shop.id, Product.title.ilike(f"%{_like(word)}%", escape="\\"))
                .limit(MAX_PRODUCTS)
            )
    picked = list(dict.fromkeys(matches))[:MAX_PRODUCTS]
    if picked:
        cards = product_cards(data.session, data.shop, picked)
    else:  # nothing matches the words: show what sells instead
        best = bestsellers(data.session, data.shop.id, data.now, set())
        cards = product_cards(data.session, data.shop, best.product_ids, best.seen)
    return {"search": {"terms": terms}, "products": cards}, bool(terms)


def related(data: BlockInput) -> tuple[dict[str, Any], bool]:
    """Products often bought with the order's products, or with what the shopper viewed."""
    own = set(_subject_products(data.subject))
    if not own:
        since = data.enrollment.started_at - LOOKBACK
        events = events_of_contact(data.session, data.shop.id, data.contact.id, (PRODUCT_VIEWED,), since)
        own = set(_reported(events))
    exclude = own | bought_by(data.session, data.shop.id, data.contact.id)
    picked = bought_together(data.session, data.shop.id, data.now, own, exclude)
    cards = product_cards(data.session, data.shop, picked.product_ids, picked.seen)
    return {"recommendations": cards}, bool(cards)


def best(data: BlockInput) -> tuple[dict[str, Any], bool]:
    exclude = bought_by(data.session, data.shop.id, data.contact.id)
    best = bestsellers(data.session, data.shop.id, data.now, exclude)
    cards = product_cards(data.session, data.shop, best.product_ids, best.seen)
    return {"recommendations": cards}, bool(cards)


def alert(data: BlockInput) -> tuple[dict[str, Any], bool]:
    context = data.enrollment.context or {}
    cards = product_cards(data.session, data.shop, [str(context.get("product_id"))])
    news = dict(context)
    if context.get("old_price") and context.get("new_price"):
        old, new = Decimal(context["old_price"]), Decimal(context["new_price"])
        news["percent_off"] = int((old - new) / old * 100) if old else 0
    return {"products": cards, "alert": news}, bool(cards)


def tips(data: BlockInput) -> tuple[dict[str, Any], bool]:
    """The merchant's tips matching the order's products (by id) or their collections (by name)."""
    ids = set(_subject_products(data.subject))
    collections = {
        name.lower()
        for product in data.session.scalars(
            select(Product).where(Product.shop_id == data.shop.id, Product.platform_id.in_(ids))
        )
        for name in product.collections or []
    }
    found = [
        tip["text"]
        for tip in data.settings.param("tips")
        if (tip["match"] == "product" and tip["key"] in ids)
        or (tip["match"] == "collection" and tip["key"].lower() in collections)
    ]
    return {"tips": list(dict.fromkeys(found))}, bool(found)


def replenish(data: BlockInput) -> tuple[dict[str, Any], bool]:
    wanted = [str(p) for p in (data.enrollment.context or {}).get("product_ids", [])]
    cards = product_cards(data.session, data.shop, wanted, _bought(data.subject))
    return {"products": cards}, bool(cards)


def _bought(subject: Subject | None) -> dict[str, Glimpse]:
    """What the order's own lines say of its products (title, price), for products not in the catalogue."""
    if subject is None:
        return {}
    seen: dict[str, Glimpse] = {}
    for item in subject.line_items:
        if item.get("product_id"):
            price = Decimal(item["price"]) if item.get("price") is not None else None
            glimpse = Glimpse(item.get("title"), None, price, subject.currency)
            seen.setdefault(str(item["product_id"]), glimpse)
    return seen


def confirm(data: BlockInput) -> tuple[dict[str, Any], bool]:
    return {"confirm_url": data.confirm_url}, data.confirm_url is not None


def _like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


BLOCKS: dict[str, Block] = {
    "viewed": viewed,
    "wishlist": wishlist,
    "searches": searches,
    "related": related,
    "bestsellers": best,
    "alert": alert,
    "tips": tips,
    "replenish": replenish,
    "confirm": confirm,
}


def fill_blocks(names: tuple[str, ...], data: BlockInput) -> tuple[dict[str, Any], set[str]]:
    """Fill the named blocks; return the template variables and the names of blocks that found nothing."""
    variables: dict[str, Any] = {}
    empty: set[str] = set()
    for name in names:
        values, found = BLOCKS[name](data)
        variables.update(values)
        if not found:
            empty.add(name)
    return variables, empty
