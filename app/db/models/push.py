"""Browsers that agreed to receive a shop's web push notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import UTCDateTime


class PushSubscription(Base):
    """One browser's ``PushSubscription``: where its push service takes messages, and its keys.

    The shopper's permission, given after they clicked "get updates", is the consent push needs: a
    row exists only while it stands. It names the visitor (our first-party cookie) it came from; the
    contact is set when that visitor is known, and found through the visitor when it is linked later.
    """

    __tablename__ = "push_subscription"
    __table_args__ = (
        UniqueConstraint("shop_id", "endpoint"),
        Index("ix_push_subscription_contact", "contact_id"),
        Index("ix_push_subscription_visitor", "shop_id", "visitor_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    visitor_key: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    endpoint: Mapped[str] = mapped_column(String(1024))
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    # The browser's IANA zone (Intl.DateTimeFormat().resolvedOptions().timeZone) when it subscribed.
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
