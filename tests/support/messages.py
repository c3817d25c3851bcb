"""Messages as the flows leave them, made directly for tests of what happens after sending."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db.models import Contact, Enrollment, Message, Shop


def sent_message(
    session: Session,
    shop: Shop,
    contact: Contact,
    sent_at: datetime,
    flow_key: str = "abandoned_checkout",
    step_index: int = 1,
    channel: str = "email",
    **fields: Any,
) -> Message:
    """Store a message that went out at ``sent_at`` (with the enrollment it belongs to)."""
    enrollment = Enrollment(
        shop_id=shop.id,
        flow_key=flow_key,
        subject_key=f"checkout:{uuid.uuid4().hex}",
        contact_id=contact.id,
        state="active",
        anchor_at=sent_at,
        last_activity_at=sent_at,
        started_at=sent_at,
    )
    session.add(enrollment)
    session.flush()
    message = Message(
        shop_id=shop.id,
        enrollment_id=enrollment.id,
        contact_id=contact.id,
        step_index=step_index,
        flow_key=flow_key,
        channel=channel,
        template=fields.pop("template", f"{flow_key}_{step_index}"),
        to_address=contact.email if channel == "email" else contact.phone,
        status="sent",
        provider=fields.pop("provider", "sendgrid" if channel == "email" else "twilio"),
        sent_at=sent_at,
        timeline=[
            {"status": "pending", "at": sent_at.isoformat()},
            {"status": "sent", "at": sent_at.isoformat()},
        ],
        **fields,
    )
    session.add(message)
    session.commit()
    return message
