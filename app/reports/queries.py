"""Report queries the admin and the JSON reports API share (filled in by the attribution work).

Every function takes a shop id and never returns another shop's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Totals:
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    bounced: int = 0
    unsubscribed: int = 0
    converted: int = 0
    revenue: Decimal = Decimal("0")


@dataclass(frozen=True)
class DayTotals:
    day: date
    totals: Totals


@dataclass(frozen=True)
class FlowTotals:
    flow_key: str
    totals: Totals


@dataclass(frozen=True)
class Report:
    """Figures for one shop over [start, end] (inclusive dates, shop's timezone)."""

    start: date
    end: date
    currency: str | None
    totals: Totals
    per_day: list[DayTotals] = field(default_factory=list)
    per_flow: list[FlowTotals] = field(default_factory=list)


def shop_report(shop_id: int, start: date, end: date) -> Report:
    """Return the shop's figures for the period (zeros until attribution lands)."""
    return Report(start=start, end=end, currency=None, totals=Totals())
