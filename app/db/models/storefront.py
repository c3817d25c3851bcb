"""Shoppers browsing a storefront, known by a first-party id, and what they looked at."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import BigIntPK, UTCDateTime

# How a visitor came to be linked to a contact: each is a proof (app/storefront/visitors.py). A
# login is one the platform signed; links a page merely claimed before revision 0014 were undone.
LINKED_BY_CLICK = "click"
LINKED_BY_CHECKOUT = "checkout"
LINKED_BY_LOGIN = "login"


class Visitor(Base):
    """One browser on one storefront, named by the random id our snippet keeps in a first-party cookie."""

    __tablename__ = "visitor"
    __table_args__ = (
        UniqueConstraint("shop_id", "visitor_key"),
        Index("ix_visitor_contact", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    visitor_key: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    linked_by: Mapped[str | None] = mapped_column(String(16))
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The browser's IANA zone as the snippet reports it: when to message a shopper who never said.
    timezone: Mapped[str | None] = mapped_column(String(64))


class StorefrontEvent(Base):
    """One thing a visitor did on the storefront: viewed a product or collection, searched, added.

    Ids only: what a page said of a product (title, price, link) is not ours to show (issue 14.2).
    """

    __tablename__ = "storefront_event"
    __table_args__ = (
        Index("ix_storefront_event_visitor", "shop_id", "visitor_key", "occurred_at"),
        Index("ix_storefront_event_checkout", "shop_id", "checkout_token"),
        Index("ix_storefront_event_product", "shop_id", "product_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    visitor_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    product_id: Mapped[str | None] = mapped_column(String(64))
    variant_id: Mapped[str | None] = mapped_column(String(64))
    collection_id: Mapped[str | None] = mapped_column(String(64))
    search_query: Mapped[str | None] = mapped_column(String(255))
    quantity: Mapped[int | None]
    checkout_token: Mapped[str | None] = mapped_column(String(255))
    # The platform cart the product went into, when the storefront knows it: links the cart to the visitor.
    cart_token: Mapped[str | None] = mapped_column(String(255))
