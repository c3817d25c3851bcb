"""Who is interested in a product: who asked to be told, wished for it, carted it, or viewed it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.db.models import AlertWave, Enrollment, StockAlert, StorefrontEvent, Visitor
from app.storefront.schema import PRODUCT_ADDED_TO_CART, PRODUCT_VIEWED, WISHLIST_ADDED
from flows.settings import ResolvedSettings

# Which storefront signals count as interest, per alert flow.
SIGNALS = {
    "price_drop": (PRODUCT_VIEWED, WISHLIST_ADDED, PRODUCT_ADDED_TO_CART),
    "low_stock": (WISHLIST_ADDED, PRODUCT_ADDED_TO_CART),
}


def interested_contacts(
    session: Session, wave: AlertWave, settings: ResolvedSettings, now: datetime, limit: int
) -> list[int]:
    """Return up to ``limit`` contacts to tell next, in the order they showed interest."""
    if wave.flow_key == "back_in_stock":
        return _signups(session, wave, now, limit)
    told = set(
        session.scalars(
            select(Enrollment.contact_id).where(
                Enrollment.shop_id == wave.shop_id,
                Enrollment.flow_key == wave.flow_key,
                Enrollment.subject_key.like(f"alert:{wave.flow_key}:{wave.id}:%"),
            )
        )
    )
    since = now - timedelta(days=settings.param("lookback_days"))
    rows = session.execute(
        select(Visitor.contact_id, StorefrontEvent.occurred_at)
        .join(
            Visitor,
            (Visitor.shop_id == StorefrontEvent.shop_id)
            & (Visitor.visitor_key == StorefrontEvent.visitor_key),
        )
        .where(
            StorefrontEvent.shop_id == wave.shop_id,
            StorefrontEvent.product_id == wave.product_id,
            StorefrontEvent.kind.in_(SIGNALS[wave.flow_key]),
            StorefrontEvent.occurred_at >= since,
            Visitor.contact_id.is_not(None),
        )
        .order_by(StorefrontEvent.occurred_at)
    )
    chosen: list[int] = []
    for contact_id, _ in rows:
        if contact_id is not None and contact_id not in told and contact_id not in chosen:
            chosen.append(contact_id)
            if len(chosen) == limit:
                break
    return chosen


def _signups(session: Session, wave: AlertWave, now: datetime, limit: int) -> list[int]:
    """Take the next shoppers who asked through the "notify me" form, oldest first, and mark them told."""
    alerts = list(
        session.scalars(
            select(StockAlert)
            .where(
                StockAlert.shop_id == wave.shop_id,
                StockAlert.product_id == wave.product_id,
                or_(StockAlert.variant_id == "", StockAlert.variant_id == (wave.variant_id or "")),
                StockAlert.notified_at.is_(None),
            )
            .order_by(StockAlert.created_at, StockAlert.id)
            .limit(limit)
        )
    )
    for alert in alerts:
        alert.notified_at = now
    return list(dict.fromkeys(alert.contact_id for alert in alerts))
