"""Send in the shopper's own day: quiet hours per channel, in the zone the shopper lives in.

Every channel has hours it must not reach a shopper in, kept in the shop's settings
(``app/shops/settings.py``): SMS quiet hours (21:00-08:00 unless changed), a push window (08:00-21:00
unless changed), an email window (none unless the merchant sets one; transactional email is never
held). A message due outside them is deferred to the moment they end, never dropped.

The shopper's zone is the first of: the contact's own (from the store, or their phone number), the
one their browser reported (the storefront snippet's events or their push subscription), their
country's when it keeps one time, the shop's, and UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers.tzdata import TIMEZONE_DATA
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.db.models import Contact, PushSubscription, Shop, Visitor
from app.shops.settings import quiet_hours_for
from app.shops.zones import zone
from flows.definitions import Purpose

UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class LocalZone:
    """A shopper's zone and where it came from (the admin and the logs say which)."""

    zone: ZoneInfo
    source: str


@dataclass(frozen=True)
class Hold:
    """Until when a message waits, in words for its timeline, and the facts the decision log keeps."""

    until: datetime
    detail: str
    facts: dict[str, object]


def quiet_until(start: time, end: time, local: datetime) -> datetime | None:
    """Return when quiet hours end if ``local`` is inside them (they may span midnight), else None."""
    now = local.time()
    inside = start <= now < end if start < end else now >= start or now < end
    if not inside:
        return None
    resume = datetime.combine(local.date(), end, local.tzinfo)
    return resume if resume > local else resume + timedelta(days=1)


def hold_for_local_time(
    session: Session, shop: Shop, contact: Contact, channel: str, purpose: Purpose, now: datetime
) -> Hold | None:
    """Return until when a message must wait for the shopper's hours on this channel, or None."""
    if channel == "email" and purpose == Purpose.TRANSACTIONAL:
        return None  # a receipt never waits for the morning
    quiet = quiet_hours_for(shop, channel)
    if quiet is None:
        return None
    start, end = quiet
    local = shopper_zone(session, contact, shop)
    resume = quiet_until(start, end, now.astimezone(local.zone))
    if resume is None:
        return None
    if channel == "sms":
        detail = f"quiet hours ({start:%H:%M}-{end:%H:%M} {local.zone.key}): deferred to {resume:%H:%M}"
    else:
        detail = (
            f"{channel} window ({end:%H:%M}-{start:%H:%M} {local.zone.key}, {local.source}): "
            f"deferred to {resume:%H:%M}"
        )
    facts: dict[str, object] = {
        "rule": "quiet_hours" if channel == "sms" else f"{channel}_window",
        "window": f"{start:%H:%M}-{end:%H:%M}",
        "timezone": local.zone.key,
        "timezone_source": local.source,
        "contact_timezone": contact.timezone,
        "local_time": now.astimezone(local.zone),
        "until": resume,
    }
    return Hold(resume, detail, facts)


def shopper_zone(session: Session, contact: Contact, shop: Shop) -> LocalZone:
    """Return the zone the shopper lives in, and which clue named it."""
    own = zone(contact.timezone)
    if own is not None:
        return LocalZone(own, "contact")
    browser = zone(browser_zone_name(session, contact))
    if browser is not None:
        return LocalZone(browser, "browser")
    country = zone_of_country(contact.country_code)
    if country is not None:
        return LocalZone(country, "country")
    shop_zone = zone(shop.timezone)
    if shop_zone is not None:
        return LocalZone(shop_zone, "shop")
    return LocalZone(UTC_ZONE, "default")


def browser_zone_name(session: Session, contact: Contact) -> str | None:
    """Return the zone the shopper's browser last reported, through the storefront or push signup."""
    reported = session.scalars(
        select(Visitor.timezone)
        .where(
            Visitor.shop_id == contact.shop_id,
            Visitor.contact_id == contact.id,
            Visitor.timezone.is_not(None),
        )
        .order_by(Visitor.last_seen_at.desc())
        .limit(1)
    ).first()
    if reported:
        return reported
    visitors = select(Visitor.visitor_key).where(
        Visitor.shop_id == contact.shop_id, Visitor.contact_id == contact.id
    )
    return session.scalars(
        select(PushSubscription.timezone)
        .where(
            PushSubscription.shop_id == contact.shop_id,
            PushSubscription.timezone.is_not(None),
            or_(PushSubscription.contact_id == contact.id, PushSubscription.visitor_key.in_(visitors)),
        )
        .order_by(PushSubscription.updated_at.desc())
        .limit(1)
    ).first()


def zone_of_country(country_code: str | None) -> ZoneInfo | None:
    """Return a country's zone when all its zones keep the same time now (France yes, the US no)."""
    if not country_code or len(country_code) != 2:
        return None
    calling_code = phonenumbers.country_code_for_region(country_code.upper())
    names = [name for name in TIMEZONE_DATA.get(str(calling_code), ()) if zone(name) is not None]
    if not calling_code or not names:
        return None
    now = datetime.now(UTC)
    if len({now.astimezone(ZoneInfo(name)).utcoffset() for name in names}) != 1:
        return None
    return ZoneInfo(names[-1])
