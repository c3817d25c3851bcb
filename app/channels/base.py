"""What every channel accepts and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


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


class Channel(Protocol):
    provider: str

    def send(self, message: OutgoingMessage) -> str:
        """Hand the message to the provider and return the provider's message id."""
