"""Guards re-checked right before a send; each returns why the flow should stop, or None.

They read the database, not the event that started the flow, because the event that settles a
flow (an order) can arrive late, out of order, or be processed by another worker a moment ago.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Checkout, Order
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


@dataclass(frozen=True)
class Prospect:
    """A subject not yet enrolled, checked before enrolling it."""

    shop_id: int
    subject_key: str
    contact_id: int
    last_activity_at: datetime


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
    later_order = session.scalars(
        select(Order.platform_id).where(
            Order.shop_id == enrollment.shop_id,
            Order.contact_id == enrollment.contact_id,
            Order.placed_at >= enrollment.last_activity_at,
        )
    ).first()
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


GUARDS: dict[str, Guard] = {
    "checkout_still_open": checkout_still_open,
    "order_not_cancelled": order_not_cancelled,
}


def check_guard(name: str | None, session: Session, enrollment: GuardSubject, now: datetime) -> str | None:
    """Run the named guard as of ``now``; a flow without one always proceeds."""
    if name is None:
        return None
    return GUARDS[name](session, enrollment, now)
