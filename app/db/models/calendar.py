"""What the calendar already did, so a tick repeated by two workers or a restart does it once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import UTCDateTime


class CalendarRun(Base):
    """One piece of the calendar's work done for a shop, e.g. ``lapsed:2026-11-26``."""

    __tablename__ = "calendar_run"
    __table_args__ = (UniqueConstraint("shop_id", "run_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    run_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
