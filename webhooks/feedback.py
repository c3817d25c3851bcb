"""What a provider (or our own link) reports about one of our messages, as the inbound adapters read it.

The SendGrid and Twilio adapters produce it and app/messaging/feedback.py applies it, so it lives
with the adapters, below messaging.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.db.models.messaging import AFTER_SEND, BOUNCED, COMPLAINED, UNSUBSCRIBED

# Why an address goes on the suppression list, by the event that put it there.
SUPPRESSION_REASONS = {BOUNCED: "bounced", COMPLAINED: "spam_report", UNSUBSCRIBED: "unsubscribed"}


@dataclass(frozen=True)
class Feedback:
    """One event about one of our messages, as a provider (or our own link) reported it.

    ``stop`` says the address must get nothing more on the message's channel (a hard bounce, a spam
    report, an unsubscribe); the suppression reason follows from ``kind``.
    """

    message_id: int
    kind: str
    provider: str
    event_id: str
    occurred_at: datetime
    url: str | None = None
    detail: str | None = None
    stop: bool = False

    def __post_init__(self) -> None:
        if self.kind not in AFTER_SEND:
            raise ValueError(f"unknown message event kind {self.kind!r}")
        if self.stop and self.kind not in SUPPRESSION_REASONS:
            raise ValueError(f"a {self.kind!r} event cannot suppress an address")
