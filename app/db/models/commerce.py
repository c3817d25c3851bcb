"""Platform-neutral copies of the store objects flows reason about: checkouts, carts, orders.

Each keeps ``source_updated_at`` (the platform's own ``updated_at``) so a late, older delivery
is recognised and ignored instead of rolling state back.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import JSONDoc, UTCDateTime

Money = Numeric(14, 2)


class Checkout(Base):
    __tablename__ = "checkout"
    __table_args__ = (
        UniqueConstraint("shop_id", "token"),
        Index("ix_checkout_shop_cart_token", "shop_id", "cart_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(255))
    platform_id: Mapped[str | None] = mapped_column(String(255))
    cart_token: Mapped[str | None] = mapped_column(String(255))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(320))
    recovery_url: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(String(3))
    total_price: Mapped[Decimal | None] = mapped_column(Money)
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    source_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Platforms that delete stale checkouts (Saleor) say when; a recovery step after it is pointless.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    order_platform_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_open(self) -> bool:
        """A checkout is recoverable until it completes or an order names it."""
        return self.completed_at is None and self.order_platform_id is None


class Cart(Base):
    __tablename__ = "cart"
    __table_args__ = (UniqueConstraint("shop_id", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(255))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    currency: Mapped[str | None] = mapped_column(String(3))
    total_price: Mapped[Decimal | None] = mapped_column(Money)
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Order(Base):
    __tablename__ = "shop_order"
    __table_args__ = (
        UniqueConstraint("shop_id", "platform_id"),
        Index("ix_shop_order_shop_checkout_token", "shop_id", "checkout_token"),
        Index("ix_shop_order_contact", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    platform_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(320))
    checkout_token: Mapped[str | None] = mapped_column(String(255))
    cart_token: Mapped[str | None] = mapped_column(String(255))
    currency: Mapped[str | None] = mapped_column(String(3))
    total_price: Mapped[Decimal | None] = mapped_column(Money)
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    financial_status: Mapped[str | None] = mapped_column(String(32))
    fulfillment_status: Mapped[str | None] = mapped_column(String(32))
    status_url: Mapped[str | None] = mapped_column(Text)
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
