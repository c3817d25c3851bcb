"""Orders credited to the message that brought the shopper back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.commerce import Money
from app.db.models.types import UTCDateTime

CLICK = "click"
OPEN = "open"


class Attribution(Base):
    """One order credited to one message; unique per order, so no order is ever counted twice.

    The flow, step, channel and variant are copied from the message so reports group by them
    without joining, and so the credit stays put if the merchant later changes the flow.
    """

    __tablename__ = "attribution"
    __table_args__ = (
        UniqueConstraint("order_id"),
        Index("ix_attribution_shop_placed", "shop_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    flow_key: Mapped[str] = mapped_column(String(64))
    step_index: Mapped[int]
    channel: Mapped[str] = mapped_column(String(16))
    variant: Mapped[str | None] = mapped_column(String(32))
    touch: Mapped[str] = mapped_column(String(8))
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revenue: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
