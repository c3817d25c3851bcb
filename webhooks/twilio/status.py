"""Map a Twilio message status callback onto our message events.

Twilio posts ``MessageStatus`` as the message moves (queued, sent, delivered, undelivered, failed,
read). Each status comes once per message, so (MessageSid, MessageStatus) names the event for
dedupe. Undelivered and failed count as bounces; error 21610 means the recipient had replied STOP
to our number, 30005 and 30006 that the number does not exist or cannot take SMS: those stop
further texts to it.
https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from app.core.text import storable
from app.db.models.feedback import TWILIO
from app.db.models.messaging import BOUNCED, DELIVERED, OPENED, UNSUBSCRIBED
from webhooks.feedback import Feedback

STATUS_PATH = "/webhooks/twilio/status"
KINDS = {"delivered": DELIVERED, "read": OPENED, "undelivered": BOUNCED, "failed": BOUNCED}
RECIPIENT_OPTED_OUT = "21610"
NUMBER_UNUSABLE = frozenset({"30005", "30006"})
MAX_FIELD_LENGTH = 64


def status_callback_url(app_url: str, message_id: int) -> str:
    """Return where Twilio reports the status of one message: the reference survives any race."""
    return f"{app_url}{STATUS_PATH}?ref={message_id}"


def status_feedback(message_id: int, params: Mapping[str, str], received_at: datetime) -> Feedback | None:
    """Return the event a status callback reports, or None for statuses nothing here uses."""
    status = _field(params, "MessageStatus")
    sid = _field(params, "MessageSid")
    kind = KINDS.get(status)
    if kind is None or not sid:
        return None
    error = _field(params, "ErrorCode")
    if error == RECIPIENT_OPTED_OUT:
        kind = UNSUBSCRIBED
    return Feedback(
        message_id=message_id,
        kind=kind,
        provider=TWILIO,
        event_id=f"{sid}:{status}",
        occurred_at=received_at,
        detail=f"{status} (error {error})" if error else None,
        # Only a failure says the number is unusable: a "delivered" carrying 30005 contradicts itself,
        # and the delivery is the fact (a delivered event cannot suppress an address).
        stop=error == RECIPIENT_OPTED_OUT or (error in NUMBER_UNUSABLE and kind == BOUNCED),
    )


def _field(params: Mapping[str, str], name: str) -> str:
    """Read a form field as it can be stored: bounded, and ``storable`` (PostgreSQL refuses a NUL)."""
    return storable(params.get(name, ""))[:MAX_FIELD_LENGTH]
