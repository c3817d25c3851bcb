"""Entry checks: whether an event enrolls a shopper in a flow at all, and what the enrollment keeps.

Each returns the enrollment's context (a JSON object) or None to leave the shopper out. Flows
without an entry check keep the event's own data.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.core.events import TriggerEvent
from flows.facts import order_stats
from flows.settings import ResolvedSettings
from flows.subjects import load_subject

DAY_SECONDS = 86400

Entry = Callable[[Session, ResolvedSettings, TriggerEvent], dict[str, Any] | None]


def vip_threshold(session: Session, settings: ResolvedSettings, event: TriggerEvent) -> dict[str, Any] | None:
    """Enter once the shopper's orders reach the VIP count or their spending the VIP amount."""
    assert event.contact_id is not None
    count, spent = order_stats(session, event.shop_id, event.contact_id)
    if count >= settings.param("vip_orders") or spent >= Decimal(str(settings.param("vip_spend"))):
        return {"order_count": count, "total_spent": str(spent)}
    return None


def replenishable_items(
    session: Session, settings: ResolvedSettings, event: TriggerEvent
) -> dict[str, Any] | None:
    """Enter when the order holds a consumable; wait as long as the shortest-lasting one lasts."""
    order = load_subject(session, event.shop_id, event.subject_key)
    lasting: dict[str, int] = settings.param("products")
    if order is None:
        return None
    products = [str(item.get("product_id")) for item in order.line_items]
    bought = [product for product in products if product in lasting]
    if not bought:
        return None
    days = min(lasting[product] for product in bought)
    return {"product_ids": sorted(set(bought)), "replenish_after_seconds": days * DAY_SECONDS}


def chosen_trigger(
    session: Session, settings: ResolvedSettings, event: TriggerEvent
) -> dict[str, Any] | None:
    """Enter only on the trigger the merchant chose among the flow's (the thank-you: placed or paid).

    One enrollment per subject is the engine's rule, so whichever of the platform's order events
    come, in whatever order, the chosen moment starts the flow once.
    """
    return dict(event.data) if event.kind in settings.triggers() else None


ENTRIES: dict[str, Entry] = {
    "vip_threshold": vip_threshold,
    "replenishable_items": replenishable_items,
    "chosen_trigger": chosen_trigger,
}


def run_entry(
    name: str | None, session: Session, settings: ResolvedSettings, event: TriggerEvent
) -> dict[str, Any] | None:
    """Run the flow's entry check; without one, keep the event's data."""
    if name is None:
        return dict(event.data)
    return ENTRIES[name](session, settings, event)
