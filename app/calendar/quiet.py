"""Shoppers who went quiet: customers whose last order was long ago, subscribers who stopped engaging."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.events import EventKind, TriggerEvent
from app.db.models import Contact, Enrollment, Message, MessageEvent, Order, Shop
from app.db.models.contact import SUBSCRIBED
from app.db.models.messaging import CLICKED, OPENED
from flows.settings import ResolvedSettings

# Customers who lapsed longer ago than this before the flow was switched on are left alone.
LAPSE_CATCH_UP = timedelta(days=30)


def lapsed(session: Session, shop: Shop, settings: ResolvedSettings, now: datetime) -> Iterator[TriggerEvent]:
    """Yield an event per customer whose last order is older than the flow's lapse, once per lapse."""
    line = now - timedelta(days=settings.param("lapse_days"))
    last_order = func.max(Order.placed_at)
    rows = session.execute(
        select(Order.contact_id, last_order)
        .where(Order.shop_id == shop.id, Order.contact_id.is_not(None), Order.cancelled_at.is_(None))
        .group_by(Order.contact_id)
        .having(last_order <= line, last_order > line - LAPSE_CATCH_UP)
    )
    for contact_id, last in rows:
        if contact_id is None or last is None:
            continue
        # One win-back per lapse: named by the day of the order it follows.
        key = f"winback:{contact_id}:{last:%Y%m%d}"
        yield TriggerEvent(
            EventKind.CONTACT_LAPSED, shop.id, contact_id, key, now, data={"last_order_at": last.isoformat()}
        )


def unengaged(
    session: Session, shop: Shop, settings: ResolvedSettings, now: datetime
) -> Iterator[TriggerEvent]:
    """Yield an event per email subscriber emailed but neither opening nor clicking for the flow's days."""
    since = now - timedelta(days=settings.param("unengaged_days"))
    engaged = (
        select(Message.contact_id)
        .join(MessageEvent, MessageEvent.message_id == Message.id)
        .where(
            Message.shop_id == shop.id,
            MessageEvent.kind.in_((OPENED, CLICKED)),
            MessageEvent.occurred_at >= since,
        )
    )
    emailed_before = select(Message.contact_id).where(
        Message.shop_id == shop.id, Message.channel == "email", Message.sent_at <= since
    )
    recently_asked = select(Enrollment.contact_id).where(
        Enrollment.shop_id == shop.id,
        Enrollment.flow_key == "sunset_unengaged",
        Enrollment.started_at >= since,
    )
    contacts = session.scalars(
        select(Contact.id).where(
            Contact.shop_id == shop.id,
            Contact.email_consent == SUBSCRIBED,
            Contact.id.in_(emailed_before),
            Contact.id.not_in(engaged),
            Contact.id.not_in(recently_asked),
        )
    )
    for contact_id in contacts:
        key = f"sunset:{contact_id}:{now:%Y%m%d}"
        yield TriggerEvent(EventKind.CONTACT_UNENGAGED, shop.id, contact_id, key, now)
