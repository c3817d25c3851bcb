"""The consent ledger: one row for every change of a contact's marketing consent, and only then.

Every place consent changes (platform webhooks and checkout boxes through ``apply_consent``, our
unsubscribe link, SMS keywords, provider unsubscribes and complaints, double opt-in, the admin)
goes through ``record_consent_change``. A statement that changes nothing (a duplicate webhook, a
box ticked by someone already subscribed) writes no row. Each row keeps the shopper's IP and user
agent when the change came through a page of ours, and the version of the consent wording the shop
had on record (``disclosure_version``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import object_session

from app.core.facts import Origin
from app.db.models import ConsentChange, Contact, Shop
from app.shops.settings import section

USER_AGENT_LENGTH = 512
IP_LENGTH = 45  # the longest textual IPv6 address (with an embedded IPv4 one)
DISCLOSURE_SECTION = "consent"


def record_consent_change(
    contact: Contact,
    channel: str,
    previous: str | None,
    state: str,
    source: str,
    at: datetime,
    origin: Origin | None = None,
    disclosure: str | None = None,
) -> ConsentChange | None:
    """Add a ledger row if the channel's consent really changed; return it, or None.

    ``disclosure`` is the version of the wording the shopper saw when a signup form showed its own;
    without it the row keeps the version of the shop's wording.
    """
    if previous == state:
        return None
    session = object_session(contact)
    assert session is not None, "the contact must belong to a session"
    if contact.id is None:
        session.flush()
    shop = session.get(Shop, contact.shop_id)
    origin = origin or Origin()
    change = ConsentChange(
        shop_id=contact.shop_id,
        contact_id=contact.id,
        channel=channel,
        previous=previous,
        state=state,
        source=source[:64],
        ip=(origin.ip or None) and origin.ip[:IP_LENGTH],
        user_agent=(origin.user_agent or None) and origin.user_agent[:USER_AGENT_LENGTH],
        disclosure_version=disclosure or (disclosure_version(shop) if shop is not None else None),
        changed_at=at,
    )
    session.add(change)
    return change


def disclosure_version(shop: Shop) -> str | None:
    """Return the version of the consent wording the shop has on record, or None when it has none."""
    version = section(shop, DISCLOSURE_SECTION).get("version")
    return str(version) if version else None


def wording_version(wording: str) -> str:
    """Name a consent wording by its content: ``sha256:`` and the first 12 hex digits of its hash."""
    normalized = " ".join(wording.split())
    return "sha256:" + hashlib.sha256(normalized.encode()).hexdigest()[:12]
