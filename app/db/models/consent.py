"""The consent ledger: every change of a contact's marketing consent, with its evidence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import BigIntPK, UTCDateTime


class ConsentChange(Base):
    """One change of one channel's consent: from what to what, when, from where, under which wording.

    ``changed_at`` is when the change happened (the platform's time for a webhook), ``recorded_at``
    when we wrote it down. Rows cascade from the contact: erasure deletes the ledger (GDPR art. 17).
    """

    __tablename__ = "consent_change"
    __table_args__ = (Index("ix_consent_change_contact", "contact_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    previous: Mapped[str | None] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    disclosure_version: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
