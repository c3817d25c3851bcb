"""Apply what providers report about sent messages: store each event once, move the status on, and
stop mailing an address that bounced hard, complained or unsubscribed.

SendGrid's event webhook, Twilio's status callbacks and our own click and unsubscribe links all
end here. Providers redeliver, batch and reorder events, so every event is stored once (unique per
provider and provider event id) and a message's status only ever moves forward
(``Message.advance``): a late "delivered" after an "opened" is kept as an event but changes nothing.
Events naming a message we do not have (another system's mail on the same account, or a message
erased since) are counted and dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.clock import utcnow
from app.db.models import Contact, Message, MessageEvent
from app.db.models.messaging import COMPLAINED, UNSUBSCRIBED
from app.db.models.rows import insert_missing
from app.messaging.suppression import suppress, withdraw
from webhooks.feedback import SUPPRESSION_REASONS, Feedback

log = logging.getLogger(__name__)

# A bounce says the address does not work; a complaint or an unsubscribe says the shopper said no.
WITHDRAWS_CONSENT = frozenset({COMPLAINED, UNSUBSCRIBED})


@dataclass(frozen=True)
class Outcome:
    """How many events were new, seen before, or about messages we do not have."""

    recorded: int = 0
    duplicates: int = 0
    unknown: int = 0


def record_feedback(session: Session, events: Sequence[Feedback]) -> Outcome:
    """Store the events not seen before and apply them to their messages; the caller commits."""
    unique: dict[tuple[str, str], Feedback] = {}
    for event in events:
        unique.setdefault((event.provider, event.event_id), event)  # the first copy in a post wins
    ids = {event.message_id for event in unique.values()}
    messages = {m.id: m for m in session.scalars(select(Message).where(Message.id.in_(ids)))} if ids else {}
    known = [event for event in unique.values() if event.message_id in messages]
    fresh = insert_missing(
        session,
        MessageEvent,
        [_row(event, messages[event.message_id]) for event in known],
        ("provider", "provider_event_id"),
    )
    applied = [event for event in known if (event.provider, event.event_id) in fresh]
    for event in sorted(applied, key=lambda e: e.occurred_at):
        message = messages[event.message_id]
        message.advance(event.kind, event.occurred_at, event.detail)
        if event.stop:
            _stop(session, message, event)
    unknown = sum(1 for event in events if event.message_id not in messages)
    outcome = Outcome(recorded=len(applied), duplicates=len(events) - unknown - len(applied), unknown=unknown)
    if outcome.unknown:
        log.info("ignored %d event(s) for messages we do not have", outcome.unknown)
    return outcome


def _row(event: Feedback, message: Message) -> dict[str, object]:
    return {
        "shop_id": message.shop_id,
        "message_id": message.id,
        "kind": event.kind,
        "provider": event.provider,
        "provider_event_id": event.event_id,
        "occurred_at": event.occurred_at,
        "url": event.url,
        "detail": event.detail,
        "received_at": utcnow(),
    }


def _stop(session: Session, message: Message, event: Feedback) -> None:
    """Suppress the message's address and, for a shopper's own "no", withdraw their consent."""
    if message.to_address:
        suppress(
            session, message.shop_id, message.channel, message.to_address, SUPPRESSION_REASONS[event.kind]
        )
    if event.kind in WITHDRAWS_CONSENT:
        contact = session.get(Contact, message.contact_id)
        if contact is not None:
            withdraw(contact, message.channel, f"{event.provider}:{event.kind}", event.occurred_at)
    log.info("%s %s of message %s: address suppressed", event.provider, event.kind, message.id)
