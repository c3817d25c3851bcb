"""Look up the contact and event properties conditional splits test (flows/splits.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Cart, Checkout, Contact, Enrollment, Message, MessageEvent, Order
from app.db.models.messaging import CLICKED, OPENED
from flows.subjects import load_subject


def order_stats(session: Session, shop_id: int, contact_id: int) -> tuple[int, Decimal]:
    """Return how many orders the contact placed (not cancelled) and what they came to."""
    count, total = session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total_price), 0)).where(
            Order.shop_id == shop_id, Order.contact_id == contact_id, Order.cancelled_at.is_(None)
        )
    ).one()
    return int(count), Decimal(str(total))


def _previous_message(session: Session, enrollment: Enrollment, index: int) -> Message | None:
    return session.scalars(
        select(Message)
        .where(Message.enrollment_id == enrollment.id, Message.step_index < index)
        .order_by(Message.step_index.desc())
        .limit(1)
    ).first()


def _engaged(session: Session, message: Message | None, kinds: tuple[str, ...]) -> bool:
    if message is None:
        return False
    found = session.scalars(
        select(MessageEvent.id).where(MessageEvent.message_id == message.id, MessageEvent.kind.in_(kinds))
    ).first()
    return found is not None


def _subject_total(session: Session, enrollment: Enrollment, kind: type[Any]) -> Decimal | None:
    subject = load_subject(session, enrollment.shop_id, enrollment.subject_key)
    return subject.total_price if isinstance(subject, kind) else None


def facts_for(session: Session, enrollment: Enrollment, index: int, wanted: Iterable[str]) -> dict[str, Any]:
    """Return the properties ``wanted`` for this enrollment as of its step ``index``."""
    contact = session.get_one(Contact, enrollment.contact_id)
    stats: tuple[int, Decimal] | None = None

    def orders() -> tuple[int, Decimal]:
        nonlocal stats
        if stats is None:
            stats = order_stats(session, enrollment.shop_id, enrollment.contact_id)
        return stats

    def previous(kinds: tuple[str, ...]) -> bool:
        return _engaged(session, _previous_message(session, enrollment, index), kinds)

    lookups: dict[str, Callable[[], Any]] = {
        "order_count": lambda: orders()[0],
        "total_spent": lambda: orders()[1],
        "cart_value": lambda: (
            _subject_total(session, enrollment, Checkout) or _subject_total(session, enrollment, Cart)
        ),
        "order_value": lambda: _subject_total(session, enrollment, Order),
        "tags": lambda: list(contact.tags or []),
        "email_consent": lambda: contact.email_consent,
        "sms_consent": lambda: contact.sms_consent,
        "country": lambda: contact.country_code,
        "opened_previous": lambda: previous((OPENED, CLICKED)),
        "clicked_previous": lambda: previous((CLICKED,)),
    }
    return {name: lookups[name]() for name in wanted if name in lookups}
