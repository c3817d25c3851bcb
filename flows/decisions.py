"""The decision log: one call per place the engine or the sender decides what becomes of a step.

Every decision (sent, deferred, skipped, exited, failed, acted) is written here, in the caller's
transaction, with the reason in words and a small JSON of the facts it looked at, so a merchant can
see in the admin why a shopper got, or did not get, a message. Facts must be JSON: dates are
written as ISO strings and decimals as strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from app.db.models import Contact, Decision, Enrollment, Message
from app.db.models.decisions import EXITED

Facts = dict[str, Any]


def record_decision(
    session: Session,
    enrollment: Enrollment,
    step_index: int,
    outcome: str,
    reason: str,
    at: datetime,
    facts: Facts | None = None,
) -> Decision:
    """Add what was decided about a step that is not (or not yet) a message, and why, to the log."""
    decision = Decision(
        shop_id=enrollment.shop_id,
        contact_id=enrollment.contact_id,
        enrollment_id=enrollment.id,
        flow_key=enrollment.flow_key,
        step_index=step_index,
        outcome=outcome,
        reason=reason,
        facts=jsonable(facts or {}),
        decided_at=at,
    )
    session.add(decision)
    return decision


# What an UPDATE ... RETURNING that ends enrollments in bulk hands to ``record_exits``.
EXIT_COLUMNS = (
    Enrollment.id,
    Enrollment.shop_id,
    Enrollment.contact_id,
    Enrollment.flow_key,
    Enrollment.step_index,
)


def record_exits(
    session: Session, ended: Sequence[Row[int, int, int, str, int]], reason: str, at: datetime, facts: Facts
) -> None:
    """Log the exit of enrollments an event ended in bulk (rows of ``EXIT_COLUMNS``)."""
    for enrollment_id, shop_id, contact_id, flow_key, step_index in ended:
        session.add(
            Decision(
                shop_id=shop_id,
                contact_id=contact_id,
                enrollment_id=enrollment_id,
                flow_key=flow_key,
                step_index=step_index,
                outcome=EXITED,
                reason=reason,
                facts=jsonable(facts),
                decided_at=at,
            )
        )


def record_message_decision(
    session: Session, message: Message, outcome: str, reason: str, at: datetime, facts: Facts | None = None
) -> Decision:
    """Add what was decided about a message's step, and why, to the log."""
    decision = Decision(
        shop_id=message.shop_id,
        contact_id=message.contact_id,
        enrollment_id=message.enrollment_id,
        message_id=message.id,
        flow_key=message.flow_key,
        step_index=message.step_index,
        outcome=outcome,
        reason=reason,
        facts=jsonable({"channel": message.channel, "template": message.template, **(facts or {})}),
        decided_at=at,
    )
    session.add(decision)
    return decision


def consent_facts(contact: Contact, channel: str) -> Facts:
    """Return what a consent check looks at: the channel's state, where it came from and when."""
    return {
        "channel": channel,
        "has_address": bool(contact.email if channel == "email" else contact.phone),
        "consent": getattr(contact, f"{channel}_consent", None),
        "consent_source": getattr(contact, f"{channel}_consent_source", None),
        "consent_at": getattr(contact, f"{channel}_consent_at", None),
    }


def sent_facts(message: Message) -> Facts:
    """Return what a send settled: the provider, its id for the message, the variant and attempts."""
    return {
        "provider": message.provider,
        "provider_message_id": message.provider_message_id,
        "variant": message.variant,
        "attempts": message.attempts,
    }


def jsonable(value: Any) -> Any:
    """Turn facts into plain JSON: ISO dates, decimal strings, lists for tuples and sets."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
