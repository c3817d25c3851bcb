"""Push consent in the consent ledger: a browser's subscription is the shopper's permission.

Push has no consent column: a contact is subscribed while one of their browsers holds a
subscription (``latest_subscription``). So the ledger row is written by comparing that state
before and after a signup or a withdrawal; re-posting the same subscription changes nothing and
writes nothing. A browser not yet linked to a contact has no ledger to write to: its permission is
on the subscription row, and the ledger starts when the contact is known.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consent.ledger import record_consent_change
from app.core.facts import Origin
from app.db.models import Contact, Visitor
from app.push.subscriptions import latest_subscription

PUSH = "push"
SUBSCRIBED = "subscribed"
UNSUBSCRIBED = "unsubscribed"


class PushConsentChange:
    """Note a visitor's contact's push consent before a change; ``record`` writes the row after it."""

    def __init__(self, session: Session, shop_id: int, visitor_key: str) -> None:
        self.session = session
        self.contact = session.scalars(
            select(Contact)
            .join(Visitor, Visitor.contact_id == Contact.id)
            .where(Visitor.shop_id == shop_id, Visitor.visitor_key == visitor_key)
        ).first()
        self.before = self._state(self.contact) if self.contact is not None else None

    def record(self, source: str, at: datetime, origin: Origin) -> None:
        """Add a ledger row if the contact's push consent changed since this object was made."""
        if self.contact is None:
            return
        after = self._state(self.contact)
        record_consent_change(self.contact, PUSH, self.before, after, source, at, origin)

    def _state(self, contact: Contact) -> str:
        return SUBSCRIBED if latest_subscription(self.session, contact) else UNSUBSCRIBED
