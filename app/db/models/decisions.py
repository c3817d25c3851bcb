"""The decision log: what the engine and the sender decided about each step of each enrollment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from app.db.models.types import BigIntPK, JSONDoc, UTCDateTime

# What became of a step. A message's own status says where it got; a decision says why.
SENT = "sent"
DEFERRED = "deferred"
SKIPPED = "skipped"
EXITED = "exited"
FAILED = "failed"
ACTED = "acted"


class Decision(Base):
    """One decision about one step: its outcome, the reason in words, and the facts it looked at.

    Rows cascade from the contact, the enrollment and the message, so erasing a shopper erases
    what was decided about them.
    """

    __tablename__ = "decision"
    __table_args__ = (
        Index("ix_decision_contact", "contact_id", "id"),
        Index("ix_decision_message", "message_id"),
        Index("ix_decision_enrollment", "enrollment_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    flow_key: Mapped[str] = mapped_column(String(64))
    step_index: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
