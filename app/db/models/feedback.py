"""What happened to a message after it was sent: delivered, opened, clicked, bounced, unsubscribed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import BigIntPK, UTCDateTime

# Who reported an event: a provider's webhook, or our own click and unsubscribe links.
SENDGRID = "sendgrid"
TWILIO = "twilio"
STOREFLOW = "storeflow"


class MessageEvent(Base):
    """One event a provider (or our own link) reported about one message, stored once.

    ``provider_event_id`` is the provider's id for the event (SendGrid's ``sg_event_id``, Twilio's
    message sid and status), so a redelivered event finds its row and changes nothing. The kinds are
    the message statuses after sending (``app.db.models.messaging.AFTER_SEND``).
    """

    __tablename__ = "message_event"
    __table_args__ = (
        UniqueConstraint("provider", "provider_event_id"),
        Index("ix_message_event_message_kind", "message_id", "kind"),
        Index("ix_message_event_shop_occurred", "shop_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(16))
    provider_event_id: Mapped[str] = mapped_column(String(255))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    url: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
