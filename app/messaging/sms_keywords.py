"""What a shopper's reply to our SMS number means: STOP withdraws SMS consent, START restores it,
HELP asks who we are.

A reply acts only within the shops that text from the number it was sent to (app/messaging/
sms_accounts.py): the deployment's number serves every shop without a Twilio account of its own,
so a STOP to it applies to each of those shops' contacts with that phone (carriers and Twilio
block the number for them anyway); a shop's own number serves that shop alone. START restores
only what a STOP took away: a contact who never consented, or withdrew another way, is not
subscribed by a text.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consent.ledger import record_consent_change
from app.core.facts import ConsentState
from app.db.models import Contact, Message, Shop
from app.db.models.feedback import TWILIO
from app.db.models.messaging import UNSUBSCRIBED
from app.messaging.feedback import record_feedback
from app.messaging.suppression import lift, suppress, withdraw
from webhooks.feedback import Feedback

log = logging.getLogger(__name__)

STOP_SOURCE = "twilio:stop"
START_SOURCE = "twilio:start"
STOP_REASON = "sms_stop"


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


WORDS = {
    "STOP": Keyword.STOP,
    "UNSUBSCRIBE": Keyword.STOP,
    "CANCEL": Keyword.STOP,
    "START": Keyword.START,
    "UNSTOP": Keyword.START,
    "HELP": Keyword.HELP,
}


def keyword(body: str) -> Keyword | None:
    """Read the reply as a keyword: the whole message, any case, surrounding spaces and dots ignored."""
    return WORDS.get(body.strip().strip(".!").strip().upper())


def opt_out(session: Session, shop_ids: Collection[int], phone: str, at: datetime, inbound_sid: str) -> int:
    """Withdraw SMS consent of these shops' contacts with this phone and suppress it; return how many."""
    contacts = _contacts(session, shop_ids, phone)
    for contact in contacts:
        withdraw(contact, "sms", STOP_SOURCE, at)
        suppress(session, contact.shop_id, "sms", phone, STOP_REASON)
    latest = _latest_messages(session, [c.id for c in contacts])
    record_feedback(
        session,
        [
            Feedback(message.id, UNSUBSCRIBED, TWILIO, f"{inbound_sid}:{message.id}", at)
            for message in latest.values()
        ],
    )
    log.info("SMS STOP from a number known to %d contact(s)", len(contacts))
    return len(contacts)


def opt_in(session: Session, shop_ids: Collection[int], phone: str, at: datetime) -> int:
    """Restore the SMS consent a STOP withdrew for this phone at these shops; return how many got it back."""
    restored = 0
    for contact in _contacts(session, shop_ids, phone):
        if contact.sms_consent_source == STOP_SOURCE:
            record_consent_change(
                contact, "sms", contact.sms_consent, ConsentState.SUBSCRIBED, START_SOURCE, at
            )
            contact.sms_consent = ConsentState.SUBSCRIBED.value
            contact.sms_consent_source = START_SOURCE
            contact.sms_consent_at = at
            restored += 1
    lift(session, shop_ids, "sms", phone, (STOP_REASON,))
    log.info("SMS START restored consent of %d contact(s)", restored)
    return restored


def help_text(session: Session, shop_ids: Collection[int], phone: str) -> str:
    """Say who is texting: of these shops, the one that last texted this phone, and how to reach it."""
    latest = _latest_messages(session, [c.id for c in _contacts(session, shop_ids, phone)])
    newest = max(latest.values(), key=lambda m: m.sent_at or m.created_at, default=None)
    shop = session.get(Shop, newest.shop_id) if newest is not None else None
    if shop is None:
        return "Marketing texts from our stores. Reply STOP to opt out."
    reach = f"write to {shop.email} or visit {shop.store_url}" if shop.email else f"visit {shop.store_url}"
    return f"{shop.display_name}: for help, {reach}. Reply STOP to opt out."


def _contacts(session: Session, shop_ids: Collection[int], phone: str) -> list[Contact]:
    if not shop_ids:
        return []
    query = select(Contact).where(Contact.shop_id.in_(list(shop_ids)), Contact.phone == phone)
    return list(session.scalars(query.order_by(Contact.id)))


def _latest_messages(session: Session, contact_ids: list[int]) -> dict[int, Message]:
    """Return the last SMS sent to these contacts, one per shop."""
    if not contact_ids:
        return {}
    messages = session.scalars(
        select(Message)
        .where(Message.contact_id.in_(contact_ids), Message.channel == "sms", Message.sent_at.is_not(None))
        .order_by(Message.sent_at)
    )
    return {message.shop_id: message for message in messages}
