"""The period the admin reports on, and the report for it (from the shared report queries)."""

from __future__ import annotations

from datetime import date, timedelta

from app.db.models import Shop
from app.reports.queries import DayTotals, Report, Totals, shop_report


def period_report(shop: Shop, start: date, end: date) -> Report:
    """Return the shop's figures for the days from start to end, both included."""
    return shop_report(shop.id, start, end)


def every_day(report: Report) -> list[DayTotals]:
    """Return one entry per day of the period, zeros where the report has no row."""
    known = {row.day: row for row in report.per_day}
    days = (report.end - report.start).days + 1
    return [
        known.get(day, DayTotals(day, Totals()))
        for day in (report.start + timedelta(days=n) for n in range(days))
    ]


def rate(part: int, whole: int) -> str:
    """Show a share as a whole percentage, or a dash when there is nothing to divide."""
    return f"{round(100 * part / whole)}%" if whole else "—"
