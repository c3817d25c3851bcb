"""Unsubscribing a contact from a channel, whoever asks: the shopper's link or the merchant's admin."""

from __future__ import annotations

import logging
from datetime import datetime

from app.core.facts import Origin
from app.db import db
from app.db.models import Contact
from app.db.models.feedback import STOREFLOW
from app.db.models.messaging import UNSUBSCRIBED
from app.ingest.contacts import withdraw_consent
from app.messaging.feedback import record_feedback
from app.messaging.suppression import suppress
from webhooks.feedback import Feedback

log = logging.getLogger(__name__)


def unsubscribe(
    shop_id: int,
    contact_id: int,
    channel: str,
    source: str,
    now: datetime,
    message_id: int | None = None,
    origin: Origin | None = None,
) -> Contact | None:
    """Withdraw consent and suppress the address, so no later send on this channel goes out.

    The caller commits: the link's page and the admin each end their own unit of work.
    """
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.shop_id != shop_id:
        return None
    withdraw_consent(contact, channel, source, now, origin)
    address = contact.email if channel == "email" else contact.phone
    if address:
        suppress(db.session(), shop_id, channel, address, "unsubscribed")
    if message_id is not None:
        # Counted once per message in reports, however often the link is used.
        feedback = Feedback(message_id, UNSUBSCRIBED, STOREFLOW, f"unsubscribe:{message_id}", now)
        record_feedback(db.session(), [feedback])
    log.info("contact %s of shop %s unsubscribed from %s (%s)", contact_id, shop_id, channel, source)
    return contact
