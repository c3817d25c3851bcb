"""The store's products as flows need them (titles, links, prices, stock), and who asked about them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.commerce import Money
from app.db.models.types import JSONDoc, UTCDateTime


class Product(Base):
    """One product of a shop, kept from the platform's product webhooks."""

    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("shop_id", "platform_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    platform_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(512), default="")
    url: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    # Shopify: the product type and tags; Saleor: collection and category names. Usage tips match them.
    collections: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ProductVariant(Base):
    """One buyable variant: its price and, when the platform tracks it, how many are available."""

    __tablename__ = "product_variant"
    __table_args__ = (
        UniqueConstraint("shop_id", "platform_id"),
        Index("ix_product_variant_product", "product_id"),
        Index("ix_product_variant_inventory_item", "shop_id", "inventory_item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    platform_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    price: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    # None: the platform does not track this variant's stock (always available).
    available: Mapped[int | None]
    # Stock per location as inventory_levels/update reports it; ``available`` is their sum.
    levels: Mapped[dict[str, int]] = mapped_column(JSONDoc, default=dict)
    inventory_item_id: Mapped[str | None] = mapped_column(String(255))
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def in_stock(self) -> bool:
        return self.available is None or self.available > 0


class StockAlert(Base):
    """A shopper asked to be told when a product (one variant, or any: ``variant_id`` empty) is back."""

    __tablename__ = "stock_alert"
    __table_args__ = (
        UniqueConstraint("shop_id", "contact_id", "product_id", "variant_id"),
        Index("ix_stock_alert_product", "shop_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(String(255))
    variant_id: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertWave(Base):
    """One piece of catalogue news (a restock, a price drop, low stock) told to its audience in batches.

    ``next_at`` is when the next batch is due; the calendar tick sends due batches until everyone
    interested was told or the news stopped holding (sold out again), then sets ``finished_at``.
    """

    __tablename__ = "alert_wave"
    __table_args__ = (
        UniqueConstraint("shop_id", "flow_key", "alert_key"),
        Index("ix_alert_wave_due", "finished_at", "next_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    flow_key: Mapped[str] = mapped_column(String(64))
    alert_key: Mapped[str] = mapped_column(String(255))
    product_id: Mapped[str] = mapped_column(String(255))
    variant_id: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    batches_sent: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
