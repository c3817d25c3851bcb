"""The time zone a shopper lives in: their own when known, else their shop's, else UTC."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.db.models import Contact, Shop


def zone(name: str | None) -> ZoneInfo | None:
    """Return the named zone, or None when the name is empty or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def contact_zone(contact: Contact, shop: Shop) -> ZoneInfo:
    """Return the zone quiet hours and dates are kept in for this contact."""
    return zone(contact.timezone) or zone(shop.timezone) or ZoneInfo("UTC")
