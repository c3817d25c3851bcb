"""Shoppers whose day it is: birthdays, first-order anniversaries and the merchant's own dates.

Each shopper's day is kept in their time zone (app/shops/zones.py) and starts at the flow's send hour;
the event is dated at that hour, so a tick running late still sends "at 9:00" as far as the flow
knows, and the enrollment key (one per contact and year) makes a repeated tick harmless.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.core.events import EventKind, TriggerEvent
from app.db.models import Contact, Order, Shop
from app.db.models.contact import SUBSCRIBED
from app.shops.zones import contact_zone
from flows.settings import ResolvedSettings

MAX_ANNIVERSARY_YEARS = 20
YEAR = timedelta(days=365.2425)
SLACK = timedelta(days=3)


def local_start(contact: Contact, shop: Shop, now: datetime, hour: int) -> datetime | None:
    """Return when the contact's day started for the flow (``hour`` local), if it has yet."""
    local = now.astimezone(contact_zone(contact, shop))
    if local.hour < hour:
        return None
    return datetime.combine(local.date(), time(hour), local.tzinfo).astimezone(UTC)


def month_day(day: date) -> str:
    return f"{day.month:02d}-{day.day:02d}"


def celebrated(day: date) -> set[str]:
    """Return the MM-DD dates kept on this day (29 February falls on the 28th outside leap years)."""
    days = {month_day(day)}
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        days.add("02-29")
    return days


def _nearby(now: datetime) -> set[str]:
    """Return the MM-DD of every calendar day it is somewhere on Earth right now."""
    return set().union(*(celebrated((now + timedelta(hours=offset)).date()) for offset in (-12, 0, 14)))


def _reachable(shop_id: int) -> ColumnElement[bool]:
    """Contacts of the shop some marketing channel reaches."""
    return and_(
        Contact.shop_id == shop_id,
        or_(Contact.email_consent == SUBSCRIBED, Contact.sms_consent == SUBSCRIBED),
    )


def birthdays(
    session: Session, shop: Shop, settings: ResolvedSettings, now: datetime
) -> Iterator[TriggerEvent]:
    """Yield a birthday event for each reachable contact whose birthday it is, past the send hour."""
    contacts = session.scalars(
        select(Contact).where(_reachable(shop.id), Contact.birthday.in_(sorted(_nearby(now))))
    )
    for contact in contacts:
        start = local_start(contact, shop, now, settings.param("send_hour"))
        local_day = now.astimezone(contact_zone(contact, shop)).date()
        if start is None or contact.birthday not in celebrated(local_day):
            continue
        key = f"birthday:{contact.id}:{local_day.year}"
        yield TriggerEvent(EventKind.BIRTHDAY, shop.id, contact.id, key, start, data={"year": local_day.year})


def anniversaries(
    session: Session, shop: Shop, settings: ResolvedSettings, now: datetime
) -> Iterator[TriggerEvent]:
    """Yield an event for each reachable contact on the anniversary of their first order."""
    first_order = func.min(Order.placed_at)
    # A few days either side of each anniversary; the exact day is checked in the contact's zone.
    windows = [
        and_(first_order >= now - (years * YEAR + SLACK), first_order <= now - (years * YEAR - SLACK))
        for years in range(1, MAX_ANNIVERSARY_YEARS + 1)
    ]
    rows = session.execute(
        select(Contact, first_order)
        .join(Order, Order.contact_id == Contact.id)
        .where(_reachable(shop.id), Order.cancelled_at.is_(None))
        .group_by(Contact.id)
        .having(or_(*windows))
    )
    for contact, first in rows:
        if first is None:
            continue
        zone = contact_zone(contact, shop)
        local_day = now.astimezone(zone).date()
        first_day = first.astimezone(zone).date()
        years = local_day.year - first_day.year
        start = local_start(contact, shop, now, settings.param("send_hour"))
        if start is None or years < 1 or month_day(first_day) not in celebrated(local_day):
            continue
        key = f"anniversary:{contact.id}:{local_day.year}"
        yield TriggerEvent(
            EventKind.ORDER_ANNIVERSARY, shop.id, contact.id, key, start, data={"years": years}
        )


def merchant_dates(
    session: Session, shop: Shop, settings: ResolvedSettings, now: datetime
) -> Iterator[TriggerEvent]:
    """Yield an event for each email subscriber on each of the merchant's dates, in their own day."""
    dates = {entry["date"]: entry["name"] for entry in settings.param("dates")}
    if not dates.keys() & _nearby(now):
        return
    contacts = session.scalars(
        select(Contact).where(Contact.shop_id == shop.id, Contact.email_consent == SUBSCRIBED)
    )
    for contact in contacts:
        start = local_start(contact, shop, now, settings.param("send_hour"))
        local_day = now.astimezone(contact_zone(contact, shop)).date()
        for day in celebrated(local_day) & dates.keys():
            if start is None:
                continue
            key = f"date:{day}:{local_day.year}:{contact.id}"
            data = {"name": dates[day], "date": day}
            yield TriggerEvent(EventKind.DATE_REACHED, shop.id, contact.id, key, start, data=data)
