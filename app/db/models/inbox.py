"""The webhook inbox: every verified delivery, stored once before it is acknowledged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import BigIntPK, UTCDateTime

PENDING = "pending"
PROCESSED = "processed"
IGNORED = "ignored"
# Set aside for the operator, with the reason in ``error``; replaying hands the event out again.
REJECTED = "rejected"  # the payload itself is invalid (a NormalizationError): no retry can help
QUARANTINED = "quarantined"  # processing raised on every attempt (app/jobs/failures.py)
SET_ASIDE = (REJECTED, QUARANTINED)
# The body could not be bound to the shop it was stored for (webhooks/binding.py): never acted on.
REFUSED = "refused"

# The largest id the BIGINT key holds: a bigger one from outside (a URL, the CLI) would fail the query.
MAX_EVENT_ID = 2**63 - 1


class WebhookEvent(Base):
    """One platform event, unique per (platform, shop, platform event id).

    ``dispatched_at`` is a lease: a relay that handed the row to RQ may hand it again once the lease
    runs out and the row is still unprocessed, so a job lost with a Redis restart is not an event lost.
    ``processed_at`` is when the event was settled: processed, ignored, or set aside (rejected or
    quarantined). ``retry_at`` (flow time) holds a failed event back until its backoff has passed.
    """

    __tablename__ = "webhook_event"
    __table_args__ = (
        UniqueConstraint("platform", "shop_id", "event_id"),
        Index(
            "ix_webhook_event_unprocessed",
            "id",
            postgresql_where=text("processed_at IS NULL"),
            sqlite_where=text("processed_at IS NULL"),
        ),
        Index("ix_webhook_event_contact", "contact_id"),
        Index(
            "ix_webhook_event_set_aside",
            "shop_id",
            postgresql_where=text("status IN ('rejected', 'quarantined')"),
            sqlite_where=text("status IN ('rejected', 'quarantined')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(128))
    event_id: Mapped[str] = mapped_column(String(255))
    webhook_id: Mapped[str | None] = mapped_column(String(255))
    api_version: Mapped[str | None] = mapped_column(String(32))
    triggered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    subject_key: Mapped[str | None] = mapped_column(String(255))
