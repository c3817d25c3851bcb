"""Per-shop flow settings and the enrollments flows run on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import JSONDoc, UTCDateTime

ACTIVE = "active"
COMPLETED = "completed"
EXITED = "exited"
CANCELLED = "cancelled"


class FlowSetting(Base):
    """A merchant's choice for one flow: on or off, and overrides of its tunable settings."""

    __tablename__ = "flow_setting"
    __table_args__ = (UniqueConstraint("shop_id", "flow_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    flow_key: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(default=False)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Enrollment(Base):
    """One subject (a checkout, an order) travelling through one flow.

    ``run_token`` is the row's version (SQLAlchemy's ``version_id_col``): every change bumps it and
    a step job carries the token it was scheduled with, so a duplicate or stale job finds another
    token and does nothing, and two writers can never both apply a change made from the same state.
    While a step runs, ``next_run_at`` holds a lease, so the sweeper re-runs a step only if the
    worker died.
    """

    __tablename__ = "enrollment"
    __table_args__ = (
        UniqueConstraint("shop_id", "flow_key", "subject_key"),
        Index("ix_enrollment_due", "state", "next_run_at"),
        Index("ix_enrollment_contact", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    flow_key: Mapped[str] = mapped_column(String(64))
    subject_key: Mapped[str] = mapped_column(String(255))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    step_index: Mapped[int] = mapped_column(default=0)
    anchor_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_token: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)
    exit_reason: Mapped[str | None] = mapped_column(Text)
    # What the flow kept of the event that started it (the product that came back, a date's name).
    context: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    # Held out: the flow runs its course but sends nothing, so its orders measure the flow's lift.
    holdout: Mapped[bool] = mapped_column(default=False, server_default=false())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": run_token}
