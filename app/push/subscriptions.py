"""Keep browsers' push subscriptions: store them, find the one a push reaches, forget expired ones."""

from __future__ import annotations

import logging

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import affected_rows
from app.db.models import Contact, PushSubscription, Visitor
from app.push.capture import SubscriptionPost

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


def forget_expired(session: Session, shop_id: int, endpoint: str) -> None:
    """Delete the subscription a push service answered 404/410 for: it will never deliver again."""
    session.execute(
        delete(PushSubscription).where(
            PushSubscription.shop_id == shop_id, PushSubscription.endpoint == endpoint
        )
    )
    log.info("shop %s: removed an expired push subscription", shop_id)


def save_subscription(session: Session, shop_id: int, post: SubscriptionPost) -> PushSubscription:
    """Store (or refresh) a browser's subscription, linked to the contact its visitor is known as."""
    contact_id = session.scalars(
        select(Visitor.contact_id).where(Visitor.shop_id == shop_id, Visitor.visitor_key == post.visitor)
    ).first()
    query = select(PushSubscription).where(
        PushSubscription.shop_id == shop_id, PushSubscription.endpoint == post.endpoint
    )
    subscription = session.scalars(query).first()
    if subscription is None:
        subscription = PushSubscription(shop_id=shop_id, endpoint=post.endpoint)
        try:
            with session.begin_nested():
                _fill(subscription, post, contact_id)
                session.add(subscription)
        except IntegrityError:  # the same browser subscribed twice at once: refresh the other row
            subscription = session.scalars(query).one()
        else:
            return subscription
    _fill(subscription, post, contact_id)
    return subscription


def remove_subscription(session: Session, shop_id: int, visitor: str, endpoint: str) -> bool:
    """Forget a subscription its own browser withdrew; return whether there was one."""
    result = session.execute(
        delete(PushSubscription).where(
            PushSubscription.shop_id == shop_id,
            PushSubscription.visitor_key == visitor,
            PushSubscription.endpoint == endpoint,
        )
    )
    return bool(affected_rows(result))


def _fill(subscription: PushSubscription, post: SubscriptionPost, contact_id: int | None) -> None:
    subscription.visitor_key = post.visitor
    subscription.p256dh = post.p256dh
    subscription.auth = post.auth
    subscription.timezone = post.timezone or subscription.timezone
    if contact_id is not None:
        subscription.contact_id = contact_id
