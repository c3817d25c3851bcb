"""Find the browser a push reaches, and forget subscriptions their push service says are gone."""

from __future__ import annotations

import logging

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.channels.errors import ExpiredSubscriptionError, SendError
from app.models import Contact, PushSubscription, Visitor

log = logging.getLogger(__name__)


def latest_subscription(session: Session, contact: Contact) -> PushSubscription | None:
    """Return the contact's most recently granted subscription: theirs, or a linked visitor's.

    A shopper may allow push before we know who they are; once their browser is linked to them (a
    click, a checkout, a login), its subscription reaches them.
    """
    visitors = select(Visitor.visitor_key).where(
        Visitor.shop_id == contact.shop_id, Visitor.contact_id == contact.id
    )
    return session.scalars(
        select(PushSubscription)
        .where(
            PushSubscription.shop_id == contact.shop_id,
            or_(PushSubscription.contact_id == contact.id, PushSubscription.visitor_key.in_(visitors)),
        )
        .order_by(PushSubscription.updated_at.desc(), PushSubscription.id.desc())
        .limit(1)
    ).first()


def forget_expired(session: Session, shop_id: int, error: SendError) -> bool:
    """Delete the subscription a push service answered 404/410 for; return whether this was one."""
    if not isinstance(error, ExpiredSubscriptionError):
        return False
    session.execute(
        delete(PushSubscription).where(
            PushSubscription.shop_id == shop_id, PushSubscription.endpoint == error.endpoint
        )
    )
    log.info("shop %s: removed an expired push subscription", shop_id)
    return True
