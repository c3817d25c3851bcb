"""Where a message to a contact goes on each channel: their email, their phone, their browser."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.models import Contact
from app.push.subscriptions import latest_subscription

# What a message row says when a contact cannot be reached on a channel at all.
UNREACHABLE = {"push": "no push subscription"}


@dataclass(frozen=True)
class Recipient:
    """``address`` is what the message row shows and suppressions name; ``to`` is where it goes."""

    address: str
    to: str
    push_keys: tuple[str, str] | None = None


def recipient(session: Session, contact: Contact, channel: str) -> Recipient | None:
    """Return where the contact is reached on the channel, or None when they cannot be."""
    if channel == "push":
        subscription = latest_subscription(session, contact)
        if subscription is None:
            return None
        return Recipient(
            f"push:{subscription.id}", subscription.endpoint, (subscription.p256dh, subscription.auth)
        )
    address = contact.email if channel == "email" else contact.phone
    return Recipient(address, address) if address else None


def unreachable(channel: str) -> str:
    """Say why a contact cannot be messaged on the channel."""
    return UNREACHABLE.get(channel, f"no {channel} address")
