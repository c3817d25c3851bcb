"""One tick of the calendar: start what is due for every installed shop, then the next alert batches.

Safe to run twice or late: date flows are keyed once per contact and year, win-back once per lapse,
the shop-wide daily scans are recorded in ``calendar_run``, and an alert batch marks who was told.
The worker's relay loop queues a tick every ``CALENDAR_INTERVAL_SECONDS`` (app/jobs/worker.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar.days import anniversaries, birthdays, local_start, merchant_dates
from app.calendar.quiet import lapsed, unengaged
from app.catalog.alerts import due_waves, next_batch
from app.core.events import TriggerEvent
from app.db.models import CalendarRun, Contact, Shop
from app.db.models.rows import get_or_create
from flows.engine import FlowEngine
from flows.settings import ResolvedSettings, flow_settings, settings_for_shop

Source = Callable[[Session, Shop, ResolvedSettings, datetime], Iterator[TriggerEvent]]

# Flows whose shoppers are found per contact, in each contact's own day.
PER_CONTACT: dict[str, Source] = {
    "birthday": birthdays,
    "order_anniversary": anniversaries,
    "date_based": merchant_dates,
}
# Flows whose shoppers are found by one scan a day, at the send hour of the shop's day.
DAILY: dict[str, Source] = {"win_back": lapsed, "sunset_unengaged": unengaged}


def run_calendar(session: Session, engine: FlowEngine, now: datetime) -> dict[str, int]:
    """Start every flow the calendar says is due; return how many events each flow got.

    The caller commits (a unit of work, app/jobs/unit_of_work.py): the engine's step jobs are
    scheduled only once what it enrolled is stored.
    """
    counts: dict[str, int] = {}
    for shop in session.scalars(
        select(Shop).where(Shop.installed_at.is_not(None), Shop.uninstalled_at.is_(None))
    ):
        settings = settings_for_shop(session, shop.id)
        for key, source in PER_CONTACT.items():
            if settings[key].enabled:
                counts[key] = counts.get(key, 0) + _feed(engine, source(session, shop, settings[key], now))
        for key, source in DAILY.items():
            if settings[key].enabled and _first_today(session, shop, key, settings[key], now):
                counts[key] = counts.get(key, 0) + _feed(engine, source(session, shop, settings[key], now))
    for wave in due_waves(session, now):
        tuning = flow_settings(session, wave.shop_id, wave.flow_key)
        batch = next_batch(session, wave, tuning, now)
        engine.handle_all(batch)  # one wave's shoppers, enrolled together
        counts[wave.flow_key] = counts.get(wave.flow_key, 0) + len(batch)
    return counts


def _feed(engine: FlowEngine, events: Iterator[TriggerEvent]) -> int:
    count = 0
    for event in events:
        engine.handle(event)
        count += 1
    return count


def _first_today(session: Session, shop: Shop, key: str, settings: ResolvedSettings, now: datetime) -> bool:
    """Tell whether the shop's daily scan for this flow is due now and has not run today."""
    as_shop = Contact(timezone=shop.timezone)
    start = local_start(as_shop, shop, now, settings.param("send_hour"))
    if start is None:
        return False
    _, created = get_or_create(session, CalendarRun, shop_id=shop.id, run_key=f"{key}:{start:%Y-%m-%d}")
    return created
