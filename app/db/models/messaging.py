"""Messages the flows send, and addresses that must never get another."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import JSONDoc, UTCDateTime

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
# What providers (and our own click and unsubscribe links) report after a send.
DELIVERED = "delivered"
OPENED = "opened"
CLICKED = "clicked"
BOUNCED = "bounced"
DROPPED = "dropped"
COMPLAINED = "complained"
UNSUBSCRIBED = "unsubscribed"
AFTER_SEND = frozenset({DELIVERED, OPENED, CLICKED, BOUNCED, DROPPED, COMPLAINED, UNSUBSCRIBED})

# How far a message got. Provider events arrive late, twice and out of order, so they only ever
# move a message up this scale: a "delivered" after an "opened" changes nothing. A failure to reach
# the inbox outranks engagement, and the shopper's own "stop" outranks everything.
PROGRESS = {
    SENT: 1,
    FAILED: 1,  # a worker that died mid-send marks the message failed; the provider may still deliver it
    DELIVERED: 2,
    OPENED: 3,
    CLICKED: 4,
    BOUNCED: 5,
    DROPPED: 5,
    COMPLAINED: 6,
    UNSUBSCRIBED: 6,
}


class Message(Base):
    """One send step of one enrollment; the unique (enrollment, step) row is the at-most-once guard."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "step_index"),
        Index("ix_message_shop_created", "shop_id", "created_at"),
        Index("ix_message_contact", "contact_id"),
        Index("ix_message_shop_sent", "shop_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))
    step_index: Mapped[int]
    flow_key: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(128))
    to_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    # The A/B variant this message was rendered from, once flows have splits.
    variant: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timeline: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    # The URLs our tracked links stand for, in order; a click link names its URL by position here.
    links: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def record(self, status: str, at: datetime, detail: str | None = None) -> None:
        """Move to a status and append it to the timeline the admin shows."""
        self.status = status
        self.detail = detail
        entry: dict[str, Any] = {"status": status, "at": at.isoformat()}
        if detail:
            entry["detail"] = detail
        self.timeline = [*self.timeline, entry]

    def advance(self, status: str, at: datetime, detail: str | None = None) -> bool:
        """Record what a provider reported if it moves the message on; return False if it would not.

        A message still pending or being sent is left to its sender, which would overwrite the
        status when the provider call returns.
        """
        current = PROGRESS.get(self.status)
        if current is None or PROGRESS[status] <= current:
            return False
        self.record(status, at, detail)
        return True


class Suppression(Base):
    """An address that gets nothing more on a channel (unsubscribed, bounced, complained)."""

    __tablename__ = "suppression"
    __table_args__ = (UniqueConstraint("shop_id", "channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DataExport(Base):
    """A customer data export made for a ``customers/data_request`` compliance webhook."""

    __tablename__ = "data_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(64))
    customer_email: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
