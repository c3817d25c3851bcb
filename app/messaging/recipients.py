"""Where a message to a contact goes on each channel: their email, their phone, their browser."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from app.db.models import Contact
from app.push.subscriptions import latest_subscription
from flows.definitions import Purpose

# What a message row says when a contact cannot be reached on a channel at all.
UNREACHABLE = {"push": "no push subscription"}
INVALID_PHONE = "not a valid phone number"


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


def needs_consent(channel: str, purpose: Purpose) -> bool:
    """Tell whether a message on this channel needs the contact's marketing consent there.

    Marketing needs it on email and SMS. A text needs SMS consent whatever its purpose: a phone
    number given for delivery or at checkout is no agreement to be texted (carriers and Twilio ask
    for consent to every message), and SMS marketing consent is the only SMS consent the platforms
    report. Transactional and requested email go without it (a receipt, the alert the shopper asked
    for by email). A push subscription is itself the consent: it exists only while they allow push.
    """
    if channel == "push":
        return False
    return channel == "sms" or purpose == Purpose.MARKETING


def unreachable(channel: str) -> str:
    """Say why a contact cannot be messaged on the channel."""
    return UNREACHABLE.get(channel, f"no {channel} address")


def address_problem(channel: str, address: str) -> str | None:
    """Say why an address is no address on its channel, or None when it has the shape of one.

    Platforms pass on whatever a shopper typed, and public samples carry placeholders ("example
    string"), so this runs before every send. Email is checked by email-validator: the syntax, and a
    domain of a real domain's shape (a dot, a real top-level domain, no special-use name such as
    ``localhost``, ``.invalid`` or ``.test``). Its DNS look-ups are off: a send never waits on DNS,
    and a domain that does not exist comes back as the provider's bounce. ``example.com`` and
    ``.example`` pass: reserved for documentation, but shaped like any domain. A phone must be a
    number libphonenumber calls valid. A push subscription's endpoint is the browser's own.
    """
    if channel == "email":
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:
            return f"not an email address ({exc})"
        return None
    if channel == "sms":
        try:
            number = phonenumbers.parse(address, None)
        except phonenumbers.NumberParseException:
            return INVALID_PHONE
        return None if phonenumbers.is_valid_number(number) else INVALID_PHONE
    return None
