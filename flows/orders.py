"""Has the shopper ordered since a moment? The question every recovery guard and exit asks.

Inside a batch of steps (app/db/reads.py) the shopper's recent orders are loaded once for the whole
batch, from the earliest moment any of its enrollments asks about, and each question is answered
from them; otherwise each question is one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Order
from app.db.reads import remember, remembered, sharing_reads

RECENT_ORDERS = "recent_orders"  # (shop id, contact id) → RecentOrders, for shared reads


@dataclass(frozen=True)
class RecentOrders:
    """A shopper's orders placed at or after ``since``, as (platform id, placed at)."""

    since: datetime
    orders: tuple[tuple[str, datetime], ...]

    def first_since(self, moment: datetime) -> str | None:
        return next((platform_id for platform_id, placed in self.orders if placed >= moment), None)


def order_since(session: Session, shop_id: int, contact_id: int, moment: datetime) -> str | None:
    """The platform id of an order the shopper placed at or after ``moment``, or None."""
    if sharing_reads(session):
        known: RecentOrders | None = remembered(session, RECENT_ORDERS, (shop_id, contact_id), lambda: None)
        if known is not None and moment >= known.since:
            return known.first_since(moment)
    return session.scalars(
        select(Order.platform_id).where(
            Order.shop_id == shop_id, Order.contact_id == contact_id, Order.placed_at >= moment
        )
    ).first()


def preload_recent_orders(session: Session, askers: Iterable[tuple[int, int, datetime]]) -> None:
    """Load, in one query, the orders the batch's (shop, contact, since) questions may ask about."""
    asked: dict[tuple[int, int], datetime] = {}
    for shop_id, contact_id, moment in askers:
        key = (shop_id, contact_id)
        asked[key] = min(moment, asked.get(key, moment))
    if not asked:
        return
    floor = min(asked.values())
    contact_ids = {contact_id for _, contact_id in asked}
    rows = session.execute(
        select(Order.shop_id, Order.contact_id, Order.platform_id, Order.placed_at).where(
            Order.contact_id.in_(contact_ids), Order.placed_at >= floor
        )
    )
    found: dict[tuple[int, int], list[tuple[str, datetime]]] = {key: [] for key in asked}
    for order_shop, order_contact, platform_id, placed_at in rows:
        if order_contact is not None and placed_at is not None and (order_shop, order_contact) in found:
            found[(order_shop, order_contact)].append((platform_id, placed_at))
    remember(
        session,
        RECENT_ORDERS,
        {key: RecentOrders(asked[key], tuple(orders)) for key, orders in found.items()},
    )
