"""Unique single-use discount codes, one per enrollment, made through the store's own API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import UTCDateTime

PENDING = "pending"  # chosen and stored; the platform may or may not have it yet
CREATED = "created"  # the platform confirmed it
FAILED = "failed"  # the platform refused it for good; messages go out without a code


class DiscountCode(Base):
    """The code of one enrollment. It is stored before the platform is asked to create it, so a
    retry (or a worker that died mid-call) asks again for the same code rather than making a second."""

    __tablename__ = "discount_code"
    __table_args__ = (UniqueConstraint("enrollment_id"), UniqueConstraint("shop_id", "code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))
    flow_key: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
    percent: Mapped[int]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    platform_id: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(default=0)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
