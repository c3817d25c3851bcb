"""Turn catalogue changes into alerts, told to interested shoppers in batches.

A change that is news for a switched-on flow (a restock, a price drop, stock running low) opens an
``alert_wave``. Each batch enrolls up to ``batch_size`` shoppers who have not been told yet, then
the wave waits ``batch_minutes``; the calendar tick sends the next batch, and only while the news
still holds (a product that sold out again stops its wave). So a restock of 5 units does not email
5,000 people at once, and those told first get a real chance to buy.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.catalog.audience import interested_contacts
from app.catalog.merge import VariantChange
from app.core.events import EventKind, TriggerEvent
from app.db.models import AlertWave, Product, ProductVariant
from flows.settings import ResolvedSettings, settings_for_shop

log = logging.getLogger(__name__)

BACK_IN_STOCK = "back_in_stock"
PRICE_DROP = "price_drop"
LOW_STOCK = "low_stock"
KINDS = {
    BACK_IN_STOCK: EventKind.PRODUCT_BACK_IN_STOCK,
    PRICE_DROP: EventKind.PRODUCT_PRICE_DROPPED,
    LOW_STOCK: EventKind.PRODUCT_LOW_STOCK,
}


def news_in(change: VariantChange, settings: dict[str, ResolvedSettings]) -> list[tuple[str, dict[str, Any]]]:
    """Return which alert flows this change is news for, with what their messages should say."""
    news: list[tuple[str, dict[str, Any]]] = []
    before, after = change.available_before, change.available_after
    base = {"product_id": change.product_id, "variant_id": change.variant_id}
    if before is not None and before <= 0 and (after is None or after > 0):
        news.append((BACK_IN_STOCK, {**base, "available": after}))
    threshold = settings[LOW_STOCK].param("threshold")
    if after is not None and 0 < after <= threshold and (before is None or before > threshold):
        news.append((LOW_STOCK, {**base, "available": after}))
    old, new = change.price_before, change.price_after
    if old is not None and new is not None and old > 0 and new < old:
        drop = (old - new) / old * 100
        if drop >= Decimal(settings[PRICE_DROP].param("min_drop_percent")):
            news.append(
                (
                    PRICE_DROP,
                    {**base, "old_price": str(old), "new_price": str(new), "currency": change.currency},
                )
            )
    return news


def open_alerts(
    session: Session, shop_id: int, changes: list[VariantChange], now: datetime
) -> list[TriggerEvent]:
    """Open a wave for each piece of news a switched-on flow cares about; return its first batch."""
    settings = settings_for_shop(session, shop_id)
    triggers: list[TriggerEvent] = []
    for change in changes:
        for flow_key, data in news_in(change, settings):
            if not settings[flow_key].enabled:
                continue
            wave = AlertWave(
                shop_id=shop_id,
                flow_key=flow_key,
                alert_key=f"{change.variant_id}@{now.isoformat()}",
                product_id=change.product_id,
                variant_id=change.variant_id,
                data=data,
                next_at=now,
            )
            try:
                with session.begin_nested():
                    session.add(wave)
            except IntegrityError:
                continue  # the same news, opened by a redelivery already
            log.info("%s: %s for product %s", flow_key, data, change.product_id)
            triggers += next_batch(session, wave, settings[flow_key], now)
    return triggers


def due_waves(session: Session, now: datetime, limit: int = 100) -> list[AlertWave]:
    """Return waves whose next batch is due."""
    return list(
        session.scalars(
            select(AlertWave)
            .where(AlertWave.finished_at.is_(None), AlertWave.next_at <= now)
            .order_by(AlertWave.next_at)
            .limit(limit)
        )
    )


def next_batch(
    session: Session, wave: AlertWave, settings: ResolvedSettings, now: datetime
) -> list[TriggerEvent]:
    """Pick the wave's next shoppers and return one alert event for each; finish the wave when done."""
    stop = _news_gone(session, wave)
    if stop is None and settings.enabled:
        contacts = interested_contacts(session, wave, settings, now, settings.param("batch_size"))
    else:
        contacts = []
    if not contacts:
        wave.finished_at = now
        log.info(
            "alert wave %s finished after %d batch(es)%s",
            wave.id,
            wave.batches_sent,
            f": {stop}" if stop else "",
        )
        return []
    wave.batches_sent += 1
    wave.next_at = now + timedelta(minutes=settings.param("batch_minutes"))
    kind = KINDS[wave.flow_key]
    return [
        TriggerEvent(
            kind,
            wave.shop_id,
            contact_id,
            f"alert:{wave.flow_key}:{wave.id}:{contact_id}",
            now,
            data=dict(wave.data),
        )
        for contact_id in contacts
    ]


def _news_gone(session: Session, wave: AlertWave) -> str | None:
    """Tell why the wave's news no longer holds (sold out again, price back up), or None."""
    query = (
        select(ProductVariant)
        .join(Product)
        .where(Product.shop_id == wave.shop_id, Product.platform_id == wave.product_id)
    )
    if wave.variant_id:
        query = query.where(ProductVariant.platform_id == wave.variant_id)
    variants = list(session.scalars(query))
    if wave.flow_key in {BACK_IN_STOCK, LOW_STOCK} and not any(v.in_stock for v in variants):
        return "sold out again"
    old_price = wave.data.get("old_price")
    prices = [v.price for v in variants if v.price is not None]
    if wave.flow_key == PRICE_DROP and old_price and prices and min(prices) >= Decimal(old_price):
        return "price went back up"
    return None
