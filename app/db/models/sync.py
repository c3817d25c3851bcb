"""How far a shop's history sync has come, per resource: what is read, what is left, what went wrong.

One row per shop and resource (customers, products, orders). The cursor is saved in the same
transaction as the rows of the page it follows, so a crash resumes after the last stored page and
never stores one twice; the counts and times are what the admin's progress bar and ETA read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import UTCDateTime


class HistorySyncState(Base):
    """One resource's sync in one shop (app/sync/state.py names the statuses)."""

    __tablename__ = "history_sync"
    __table_args__ = (UniqueConstraint("shop_id", "resource"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    resource: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    cursor: Mapped[str | None] = mapped_column(Text)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None] = mapped_column()
    errors: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # What the merchant should know about this resource's sync (a missing scope, say).
    notice: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the worker's sweep should (re)start the sync if nothing has: after a wait, a failure,
    # or a run that stopped reporting (its worker died). None once the resource is settled.
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
