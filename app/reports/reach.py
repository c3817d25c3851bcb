"""How many shoppers a flow would reach if the merchant switched it on now: the figure the admin's
confirmation shows before a flow starts emailing real shoppers.

It is an estimate, read from the store's state rather than by running the flow:
- checkout flows: shoppers with a checkout left open (not completed) in the last ``OPEN_DAYS`` days;
- cart flows: shoppers whose cart changed in the last ``OPEN_DAYS`` days;
- order flows: shoppers who ordered in the last ``ORDER_DAYS`` days, i.e. about how many a month;
- every other flow (the shopper, an alert, a date): every shopper it could write to.
Each counts distinct shoppers with an email address and, for a marketing flow, email consent
(subscribed): whoever the flow could not write to is left out. Conditions, smart sending and
holdouts thin the figure further, so it is an upper bound, said as "up to".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.db.models import Cart, Checkout, Contact, Order
from app.db.models.contact import SUBSCRIBED
from flows.definitions import Flow, Purpose

OPEN_DAYS = 7
ORDER_DAYS = 30


@dataclass(frozen=True)
class Reach:
    """Up to how many shoppers a flow would write to, and what was counted, in the merchant's words."""

    shoppers: int
    counted: str


def estimated_reach(session: Session, shop_id: int, flow: Flow, now: datetime) -> Reach:
    """Estimate how many shoppers switching ``flow`` on would reach from the store's state at ``now``."""
    reachable = [Contact.shop_id == shop_id, Contact.email.is_not(None)]
    if flow.purpose == Purpose.MARKETING:
        reachable.append(Contact.email_consent == SUBSCRIBED)
    audience = (
        "who can receive marketing email" if flow.purpose == Purpose.MARKETING else "with an email address"
    )
    if flow.subject == "checkout":
        since = now - timedelta(days=OPEN_DAYS)
        open_now = select(Checkout.contact_id).where(
            Checkout.shop_id == shop_id,
            Checkout.completed_at.is_(None),
            func.coalesce(Checkout.source_updated_at, Checkout.updated_at) >= since,
        )
        return Reach(
            _count(session, reachable, Contact.id.in_(open_now)),
            f"shoppers {audience} with a checkout left open in the last {OPEN_DAYS} days",
        )
    if flow.subject == "cart":
        since = now - timedelta(days=OPEN_DAYS)
        carts = select(Cart.contact_id).where(
            Cart.shop_id == shop_id, func.coalesce(Cart.source_updated_at, Cart.updated_at) >= since
        )
        return Reach(
            _count(session, reachable, Contact.id.in_(carts)),
            f"shoppers {audience} whose cart changed in the last {OPEN_DAYS} days",
        )
    if flow.subject == "order":
        since = now - timedelta(days=ORDER_DAYS)
        buyers = select(Order.contact_id).where(
            Order.shop_id == shop_id, func.coalesce(Order.placed_at, Order.created_at) >= since
        )
        return Reach(
            _count(session, reachable, Contact.id.in_(buyers)),
            f"shoppers {audience} who ordered in the last {ORDER_DAYS} days (about a month's worth)",
        )
    return Reach(_count(session, reachable), f"shoppers {audience}")


def _count(session: Session, reachable: list[ColumnElement[bool]], *more: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count(Contact.id)).where(*reachable, *more)) or 0
