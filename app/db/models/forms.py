"""Signup forms the merchant designs (popup, flyout, embedded), and what each submission did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.db.base import Base
from app.db.models.types import BigIntPK, JSONDoc, UTCDateTime

DRAFT = "draft"
LIVE = "live"
STATUSES = (DRAFT, LIVE)


class SignupForm(Base):
    """One form: its design (``app/forms/design.py`` reads and checks ``design``), whether it is live,
    and how often it was shown. Views are a counter, not rows: a popup is shown far more often than
    it is filled in, and only the rate is reported."""

    __tablename__ = "signup_form"
    __table_args__ = (Index("ix_signup_form_shop_status", "shop_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    design: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    views: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class FormSubmission(Base):
    """One accepted submission: who (every submission asks for email), and whether they ticked the
    SMS box. Rows cascade from the contact, so erasing a shopper erases their submissions too."""

    __tablename__ = "form_submission"
    __table_args__ = (Index("ix_form_submission_form", "form_id", "submitted_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    form_id: Mapped[int] = mapped_column(ForeignKey("signup_form.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))
    sms_opt_in: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
