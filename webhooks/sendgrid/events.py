"""Map SendGrid Event Webhook events onto our message events.

Each event names our message through the custom argument ``storeflow_message_id`` we send with every
email, and itself through ``sg_event_id`` (the dedupe key). Events without our argument are another
sender's mail on the same account and are ignored, as are the kinds nothing here uses (processed,
deferred, group_resubscribe). A bounce of type "bounce" is permanent and suppresses the address; a
"blocked" one is the receiving server refusing for now, and is only recorded.
https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.db.models.feedback import SENDGRID
from app.db.models.messaging import BOUNCED, CLICKED, COMPLAINED, DELIVERED, DROPPED, OPENED, UNSUBSCRIBED
from app.db.models.types import row_id
from webhooks.errors import MalformedWebhookError
from webhooks.feedback import Feedback
from webhooks.payload import plausible

MESSAGE_ID_ARG = "storeflow_message_id"
KINDS = {
    "delivered": DELIVERED,
    "open": OPENED,
    "click": CLICKED,
    "bounce": BOUNCED,
    "dropped": DROPPED,
    "spamreport": COMPLAINED,
    "unsubscribe": UNSUBSCRIBED,
    "group_unsubscribe": UNSUBSCRIBED,
}
STOPS = frozenset({COMPLAINED, UNSUBSCRIBED})
MAX_EVENTS = 10_000
MAX_URL_LENGTH = 2048
MAX_DETAIL_LENGTH = 500


@dataclass(frozen=True)
class Parsed:
    feedback: list[Feedback]
    ignored: int


def parse_events(payload: Any, received_at: datetime) -> Parsed:
    """Read a posted batch (a JSON array of events, as ``decode_json`` made its strings storable) into
    feedback; refuse anything not shaped so."""
    if not isinstance(payload, list):
        raise MalformedWebhookError("body is not a JSON array of events")
    if len(payload) > MAX_EVENTS:
        raise MalformedWebhookError(f"more than {MAX_EVENTS} events in one post")
    feedback = [item for item in (_event(raw, received_at) for raw in payload) if item is not None]
    return Parsed(feedback=feedback, ignored=len(payload) - len(feedback))


def _event(raw: Any, received_at: datetime) -> Feedback | None:
    if not isinstance(raw, dict):
        return None
    name = raw.get("event")
    kind = KINDS.get(name) if isinstance(name, str) else None
    message_id = row_id(raw.get(MESSAGE_ID_ARG))
    if kind is None or message_id is None:
        return None
    return Feedback(
        message_id=message_id,
        kind=kind,
        provider=SENDGRID,
        event_id=_event_id(raw),
        occurred_at=_timestamp(raw.get("timestamp")) or received_at,
        url=_text(raw.get("url"), MAX_URL_LENGTH) if kind == CLICKED else None,
        detail=_detail(raw),
        stop=kind in STOPS or (kind == BOUNCED and raw.get("type") != "blocked"),
    )


def _event_id(raw: dict[str, Any]) -> str:
    """Use SendGrid's ``sg_event_id``; an event without one is named by its content."""
    value = raw.get("sg_event_id")
    if isinstance(value, str) and 0 < len(value) <= 255:
        return value
    canonical = json.dumps(raw, sort_keys=True, default=str).encode()
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return plausible(datetime.fromtimestamp(value, UTC), "timestamp")
    except (OverflowError, OSError, ValueError):  # the range check's NormalizationError is a ValueError
        return None


def _text(value: Any, limit: int) -> str | None:
    """Keep a string field, bounded (``decode_json`` already dropped NULs, which PostgreSQL refuses)."""
    if not isinstance(value, str):
        return None
    return value[:limit] or None


def _detail(raw: dict[str, Any]) -> str | None:
    """Keep what explains a failure: the bounce type and the receiving server's reason."""
    parts = [_text(raw.get(key), MAX_DETAIL_LENGTH) for key in ("type", "bounce_classification", "reason")]
    text = ": ".join(part for part in parts if part)
    return text[:MAX_DETAIL_LENGTH] or None
