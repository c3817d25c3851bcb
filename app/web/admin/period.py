"""The period the overview and flow pages report on, chosen by the merchant and kept in the URL.

``?days=7|30|90`` is a preset ending today (the shop's today); ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` a
custom range, both days included. Nothing chosen is the last 30 days. Every period is compared
with the one just before it of the same length, so "up 12%" always means against as many days.
A range that is not one (a malformed date, ``from`` after ``to``, longer than ``MAX_DAYS``) is
refused with 400 and the reason, like every other query parameter the admin reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import Response, abort, request
from flask_babel import gettext, ngettext

from app.db.models import Shop
from app.jobs.services import current_services
from app.reports.queries import Totals
from app.web.admin.formatting import shop_zone
from app.web.query_params import QueryParamError, query_date

PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_DAYS = 366
MINUS = "\u2212"  # the typographic minus sign, as figures are printed


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    preset: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def query(self) -> dict[str, str]:
        """The URL query that names this period again (for links and the picker's state)."""
        if self.preset is not None:
            return {"days": str(self.preset)}
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    @property
    def label(self) -> str:
        if self.preset is not None:
            return ngettext("Last %(num)d day", "Last %(num)d days", self.preset)
        return ngettext("%(num)d day", "%(num)d days", self.days)

    @property
    def in_sentence(self) -> str:
        """The label as it stands inside a sentence ("Totals for the last 30 days")."""
        if self.preset is not None:
            return ngettext("last %(num)d day", "last %(num)d days", self.preset)
        return ngettext("%(num)d day", "%(num)d days", self.days)


@dataclass(frozen=True)
class Delta:
    """A figure against the previous period's: its change as a share, and which way it went."""

    current: Decimal | int
    previous: Decimal | int

    @property
    def direction(self) -> str:
        return "up" if self.current > self.previous else "down" if self.current < self.previous else "flat"

    @property
    def change(self) -> str:
        """The change in whole percent ("+12%", "-5%" with a true minus), "new" from nothing, "no change"."""
        if self.current == self.previous:
            return gettext("no change")
        if not self.previous:
            return gettext("new")
        percent = round(100 * (Decimal(self.current) - Decimal(self.previous)) / Decimal(self.previous))
        return f"+{percent}%" if percent >= 0 else f"{MINUS}{-percent}%"


def today(shop: Shop) -> date:
    return current_services().clock.now().astimezone(shop_zone(shop)).date()


def preset_period(shop: Shop, days: int) -> Period:
    end = today(shop)
    return Period(end - timedelta(days=days - 1), end, days)


def requested_period(shop: Shop) -> Period:
    """Read the period this request asks for, or answer 400 saying why it is not one."""
    start, end = request.args.get("from"), request.args.get("to")
    try:
        if start or end:
            return _custom(start or "", end or "")
    except QueryParamError as exc:
        abort(Response(str(exc), status=400, mimetype="text/plain"))
    days = request.args.get("days", "")
    return preset_period(shop, int(days) if days in {str(p) for p in PRESETS} else DEFAULT_DAYS)


def _custom(start: str, end: str) -> Period:
    first, last = query_date(start, "from"), query_date(end, "to")
    if first > last:
        raise QueryParamError("from must be on or before to")
    if (last - first).days + 1 > MAX_DAYS:
        raise QueryParamError(f"a period is at most {MAX_DAYS} days")
    return Period(first, last)


def deltas(current: Totals, previous: Totals) -> dict[str, Delta]:
    """Each headline figure against the previous period's."""
    return {
        measure: Delta(getattr(current, measure), getattr(previous, measure))
        for measure in ("revenue", "converted", "sent", "opened", "clicked")
    }
