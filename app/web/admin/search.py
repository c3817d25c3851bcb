"""Turn what a merchant types into a search box into safe SQL conditions for one shop."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select

from app.core.events import subject_key
from app.db.models import Checkout, Enrollment, Message, Order
from app.ingest.contacts import normalize_phone


def like_pattern(text: str) -> str:
    """Return a LIKE pattern matching ``text`` anywhere, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def message_matches(shop_id: int, query: str) -> ColumnElement[bool]:
    """Match messages by recipient (email or phone, any part) or by the order they are about."""
    conditions: list[ColumnElement[bool]] = [Message.to_address.ilike(like_pattern(query), escape="\\")]
    phone = normalize_phone(query, None)
    if phone:
        conditions.append(Message.to_address == phone)
    keys = _order_subject_keys(shop_id, query)
    if keys:
        conditions.append(
            Message.enrollment_id.in_(
                select(Enrollment.id).where(Enrollment.shop_id == shop_id, Enrollment.subject_key.in_(keys))
            )
        )
    return or_(*conditions) if conditions else false()


def _order_subject_keys(shop_id: int, query: str) -> list[str]:
    """Name the order a query like ``#1001`` or ``1001`` means, and the checkout it came from."""
    from app.db import db

    number = query.strip().lstrip("#")
    if not number or len(number) > 64:
        return []
    orders = db.session.execute(
        select(Order.platform_id, Order.checkout_token).where(
            Order.shop_id == shop_id,
            or_(Order.name == f"#{number}", Order.name == number, Order.platform_id == number),
        )
    ).all()
    ids = [platform_id for platform_id, _ in orders]
    checkout_tokens = {token for _, token in orders if token}
    checkout_tokens.update(
        db.session.scalars(
            select(Checkout.token).where(Checkout.shop_id == shop_id, Checkout.order_platform_id.in_(ids))
        )
    )
    return [subject_key("order", i) for i in ids] + [subject_key("checkout", t) for t in checkout_tokens]
