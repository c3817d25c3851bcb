"""What every channel accepts and returns: the protocol the sender speaks and the adapters implement.

The domain knows channels only through this module; SendGrid, Twilio, web push and the dev outbox
(app/channels/) implement it, and the edge (app/jobs/services.py) decides which one a shop uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from app.db.models import Shop


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message ready for a provider; ``reference`` is our message id, echoed back."""

    channel: str
    to: str
    text: str
    reference: str
    sender_address: str
    sender_name: str = ""
    subject: str | None = None
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    category: str | None = None
    # Where the provider reports delivery (Twilio); None leaves the account's setting.
    status_callback: str | None = None
    # Whether the provider rewrites links to count clicks (SendGrid); None leaves the account's setting.
    provider_click_tracking: bool | None = None
    # Web push: the subscription's keys (p256dh, auth) that encrypt the payload for ``to`` (its
    # endpoint), and the page a tap on the notification opens.
    push_keys: tuple[str, str] | None = None
    url: str | None = None


class Channel(Protocol):
    provider: str

    def send(self, message: OutgoingMessage) -> str:
        """Hand the message to the provider and return the provider's message id."""


class ShopChannels(Protocol):
    """Which channel one shop's messages of a kind ("email", "sms", "push") go through.

    A shop may connect its own provider accounts; which adapter that means is the edge's business,
    so the sender is handed this instead of building channels itself.
    """

    def __call__(self, shop: Shop, channel: str, /) -> Channel:
        """Return the channel for this shop's messages of this kind."""


@dataclass(frozen=True)
class SentQuery:
    """What we know of an attempt whose outcome we never learned, to find it in a provider's records."""

    reference: str
    to: str
    text: str
    attempted_at: datetime


@runtime_checkable
class SentLookup(Protocol):
    """A channel that can tell whether its provider accepted a message we are unsure about.

    ``settle`` is how long after an attempt the provider's records can be trusted to show it; a
    "not found" earlier than that proves nothing.
    """

    provider: str
    settle: timedelta

    def find_sent(self, query: SentQuery) -> str | None:
        """Return the provider's id for the message if it accepted it, None if it has no record of it."""
