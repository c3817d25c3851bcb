"""A shopper known to one shop, with per-channel marketing consent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import JSONDoc, UTCDateTime

# Shopify's email consent states; only SUBSCRIBED permits marketing. Anything else, or nothing, is no.
SUBSCRIBED = "subscribed"


class Contact(Base):
    """Identity and consent of one shopper in one shop.

    Consent is kept per channel with its source and the time the platform says it changed, so an
    older consent update arriving late never overwrites a newer one.
    """

    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("shop_id", "email"),
        UniqueConstraint("shop_id", "platform_customer_id"),
        Index("ix_contact_shop_phone", "shop_id", "phone"),
        Index("ix_contact_shop_birthday", "shop_id", "birthday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    platform_customer_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(35))
    timezone: Mapped[str | None] = mapped_column(String(64))
    country_code: Mapped[str | None] = mapped_column(String(2))
    # "MM-DD": the day is all the birthday flow needs, so the year is not kept.
    birthday: Mapped[str | None] = mapped_column(String(5))
    tags: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    email_consent: Mapped[str | None] = mapped_column(String(20))
    email_consent_source: Mapped[str | None] = mapped_column(String(64))
    email_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_consent: Mapped[str | None] = mapped_column(String(20))
    sms_consent_source: Mapped[str | None] = mapped_column(String(64))
    sms_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def consents_to(self, channel: str) -> bool:
        """Tell whether marketing on this channel is allowed right now."""
        if channel == "email":
            return self.email_consent == SUBSCRIBED and bool(self.email)
        if channel == "sms":
            return self.sms_consent == SUBSCRIBED and bool(self.phone)
        return False
