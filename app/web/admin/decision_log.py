"""Read the decision log: per contact and per message, newest first, as rows and as JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Decision

CONTACT_LIMIT = 200


def contact_decisions(session: Session, contact_id: int, limit: int = CONTACT_LIMIT) -> list[Decision]:
    """Return the latest decisions about the contact's steps, newest first."""
    return list(
        session.scalars(
            select(Decision)
            .where(Decision.contact_id == contact_id)
            .order_by(Decision.id.desc())
            .limit(limit)
        )
    )


def message_decisions(session: Session, message_id: int) -> list[Decision]:
    """Return every decision about one message, oldest first (the order they were made in)."""
    return list(
        session.scalars(select(Decision).where(Decision.message_id == message_id).order_by(Decision.id))
    )


def decision_json(decision: Decision) -> dict[str, Any]:
    """Return one decision as plain JSON."""
    return {
        "id": decision.id,
        "decided_at": decision.decided_at.isoformat(),
        "flow": decision.flow_key,
        "step": decision.step_index,
        "enrollment_id": decision.enrollment_id,
        "message_id": decision.message_id,
        "outcome": decision.outcome,
        "reason": decision.reason,
        "facts": decision.facts,
    }
