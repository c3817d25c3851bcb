"""What one message earned: the orders credited to it (app/reports/attribution.py), each as the
merchant looks it up, for the message page.

A cancelled order stays listed, marked, but counts for nothing, as in every report
(app/reports/queries.py takes cancelled orders out of revenue).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Attribution, Order


@dataclass(frozen=True)
class EarnedOrder:
    order_name: str
    order_platform_id: str
    revenue: Decimal
    currency: str | None
    placed_at: datetime
    touch: str  # click or open: what the shopper last did with the message before ordering
    cancelled: bool


@dataclass(frozen=True)
class Earned:
    orders: tuple[EarnedOrder, ...]

    @property
    def revenue(self) -> Decimal:
        return sum((order.revenue for order in self.orders if not order.cancelled), Decimal("0"))

    @property
    def currency(self) -> str | None:
        return next((order.currency for order in self.orders if order.currency), None)


def message_earned(session: Session, shop_id: int, message_id: int) -> Earned:
    """Return the orders credited to one of the shop's messages, oldest first."""
    rows = session.execute(
        select(Attribution, Order)
        .join(Order, Order.id == Attribution.order_id)
        .where(Attribution.shop_id == shop_id, Attribution.message_id == message_id)
        .order_by(Attribution.placed_at, Attribution.id)
    ).all()
    return Earned(
        tuple(
            EarnedOrder(
                order_name=order.name or f"#{order.platform_id}",
                order_platform_id=order.platform_id,
                revenue=credit.revenue,
                currency=credit.currency or order.currency,
                placed_at=credit.placed_at,
                touch=credit.touch,
                cancelled=order.cancelled_at is not None,
            )
            for credit, order in rows
        )
    )
