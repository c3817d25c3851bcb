"""What a customer's data export and erasure cover of web push: the browsers that allowed it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.orm import Session

from app.db.models import PushSubscription


def _theirs(shop_id: int, contact_ids: list[int], visitor_keys: Select[Any]) -> Any:
    return (PushSubscription.shop_id == shop_id) & or_(
        PushSubscription.contact_id.in_(contact_ids), PushSubscription.visitor_key.in_(visitor_keys)
    )


def exported_subscriptions(
    session: Session, shop_id: int, contact_ids: list[int], visitor_keys: Select[Any]
) -> list[dict[str, Any]]:
    """Describe the contacts' push subscriptions (theirs, or their browsers') for a data export."""
    rows = session.scalars(
        select(PushSubscription)
        .where(_theirs(shop_id, contact_ids, visitor_keys))
        .order_by(PushSubscription.id)
    )
    return [
        {"endpoint": row.endpoint, "timezone": row.timezone, "created_at": row.created_at.isoformat()}
        for row in rows
    ]


def erase_subscriptions(
    session: Session, shop_id: int, contact_ids: list[int], visitor_keys: Select[Any]
) -> None:
    """Delete the contacts' push subscriptions; run before their visitors are deleted."""
    session.execute(delete(PushSubscription).where(_theirs(shop_id, contact_ids, visitor_keys)))
