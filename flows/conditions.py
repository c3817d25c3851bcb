"""Guards re-checked right before a send; each returns why the flow should stop, or None.

They read the database, not the event that started the flow, because the event that settles a
flow (an order) can arrive late, out of order, or be processed by another worker a moment ago.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Cart, Checkout, Contact, Message, MessageEvent, Order, Product, ProductVariant
from app.db.models.messaging import CLICKED, OPENED
from flows.orders import order_since
from flows.subjects import load_subject


class GuardSubject(Protocol):
    """What a guard needs to know; an Enrollment is one, and so is a prospective enrollment."""

    @property
    def shop_id(self) -> int: ...

    @property
    def subject_key(self) -> str: ...

    @property
    def contact_id(self) -> int: ...

    @property
    def last_activity_at(self) -> datetime: ...

    @property
    def started_at(self) -> datetime: ...

    @property
    def context(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Prospect:
    """A subject not yet enrolled, checked before enrolling it."""

    shop_id: int
    subject_key: str
    contact_id: int
    last_activity_at: datetime
    started_at: datetime
    context: Mapping[str, Any] = field(default_factory=dict)


Guard = Callable[[Session, GuardSubject, datetime], str | None]


def checkout_still_open(session: Session, enrollment: GuardSubject, now: datetime) -> str | None:
    """Stop when the checkout completed, an order names it, the shopper ordered since, or it expired."""
    checkout = load_subject(session, enrollment.shop_id, enrollment.subject_key)
    if not isinstance(checkout, Checkout):
        return "checkout no longer on record"
    if checkout.completed_at is not None:
        return "checkout completed"
    if checkout.order_platform_id is not None:
        return f"checkout recovered by order {checkout.order_platform_id}"
    later_order = order_since(session, enrollment.shop_id, enrollment.contact_id, enrollment.last_activity_at)
    if later_order is not None:
        return f"shopper placed order {later_order} since"
    if checkout.expires_at is not None and now >= checkout.expires_at:
        # Platforms that delete stale checkouts (Saleor) would show the shopper an error page.
        return f"checkout expired at {checkout.expires_at:%Y-%m-%d %H:%M} UTC (stale checkouts are deleted)"
    return None


def order_not_cancelled(session: Session, enrollment: GuardSubject, now: datetime) -> str | None:
    """Stop when the order was cancelled (or erased)."""
    order = load_subject(session, enrollment.shop_id, enrollment.subject_key)
    if not isinstance(order, Order):
        return "order no longer on record"
    if order.cancelled_at is not None:
        return "order cancelled"
    return None


def cart_still_open(session: Session, enrollment: GuardSubject, now: datetime) -> str | None:
    """Stop when the cart emptied, became an order, or the shopper ordered since."""
    cart = load_subject(session, enrollment.shop_id, enrollment.subject_key)
    if not isinstance(cart, Cart):
        return "cart no longer on record"
    if not cart.line_items:
        return "cart is empty"
    ordered = session.scalars(
        select(Order.platform_id).where(
            Order.shop_id == enrollment.shop_id,
            (Order.cart_token == cart.token)
            | (
                (Order.contact_id == enrollment.contact_id) & (Order.placed_at >= enrollment.last_activity_at)
            ),
        )
    ).first()
    if ordered is not None:
        return f"shopper placed order {ordered} since"
    return None


def _variants(session: Session, enrollment: GuardSubject) -> list[ProductVariant]:
    """Return the variants an alert is about: the one named, else every variant of the product."""
    context = enrollment.context
    query = (
        select(ProductVariant)
        .join(Product)
        .where(Product.shop_id == enrollment.shop_id, Product.platform_id == str(context.get("product_id")))
    )
    if context.get("variant_id"):
        query = query.where(ProductVariant.platform_id == str(context["variant_id"]))
    return list(session.scalars(query))


def still_in_stock(session: Session, enrollment: GuardSubject, now: datetime) -> str | None:
    """Stop when the product the alert is about sold out again before this shopper's turn."""
    if not any(variant.in_stock for variant in _variants(session, enrollment)):
        return "sold out again"
    return None


def price_still_lower(session: Session, enrollment: GuardSubject, now: datetime) -> str | None:
    """Stop when the price went back up before this shopper's turn."""
    old_price = enrollment.context.get("old_price")
    prices = [v.price for v in _variants(session, enrollment) if v.price is not None]
    if old_price is not None and prices and min(prices) >= Decimal(str(old_price)):
        return "price went back up"
    return None


def not_bought_again(session: Session, enrollment: GuardSubject, now: datetime) -> str | None:
    """Stop a replenishment reminder when the shopper already bought the product again."""
    wanted = {str(p) for p in enrollment.context.get("product_ids", [])}
    since = session.scalars(
        select(Order).where(
            Order.shop_id == enrollment.shop_id,
            Order.contact_id == enrollment.contact_id,
            Order.placed_at > enrollment.last_activity_at,
            Order.cancelled_at.is_(None),
        )
    )
    for order in since:
        if any(str(item.get("product_id")) in wanted for item in order.line_items):
            return f"bought again in order {order.name or order.platform_id}"
    return None


def subscription_pending(session: Session, enrollment: GuardSubject, now: datetime) -> str | None:
    """Stop asking for a confirmation that came, or for a subscription withdrawn since."""
    contact = session.get(Contact, enrollment.contact_id)
    if contact is None:
        return "contact no longer on record"
    if contact.email_consent != "pending":
        return f"email consent is {contact.email_consent or 'not given'} now"
    return None


def still_unengaged(session: Session, enrollment: GuardSubject, now: datetime) -> str | None:
    """Stop sunsetting a subscriber who opened or clicked anything since the flow began."""
    engaged = session.scalars(
        select(MessageEvent.kind)
        .join(Message, MessageEvent.message_id == Message.id)
        .where(
            Message.contact_id == enrollment.contact_id,
            MessageEvent.kind.in_((OPENED, CLICKED)),
            MessageEvent.occurred_at >= enrollment.started_at,
        )
    ).first()
    if engaged is not None:
        return f"re-engaged ({engaged} since the flow began)"
    return None


GUARDS: dict[str, Guard] = {
    "checkout_still_open": checkout_still_open,
    "order_not_cancelled": order_not_cancelled,
    "cart_still_open": cart_still_open,
    "still_in_stock": still_in_stock,
    "price_still_lower": price_still_lower,
    "not_bought_again": not_bought_again,
    "subscription_pending": subscription_pending,
    "still_unengaged": still_unengaged,
}

# Guards that read only what the news was (the enrollment's context: its product, the old price),
# never who is told: one answer holds for every shopper of an alert batch (flows/engine.py).
NEWS_GUARDS = frozenset({"still_in_stock", "price_still_lower"})


def check_guard(name: str | None, session: Session, enrollment: GuardSubject, now: datetime) -> str | None:
    """Run the named guard as of ``now``; a flow without one always proceeds."""
    if name is None:
        return None
    return GUARDS[name](session, enrollment, now)
