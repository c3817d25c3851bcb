"""GET /admin/api/reports?start=YYYY-MM-DD&end=YYYY-MM-DD: the shop's figures as JSON for charts.

Authenticated like every admin request (``current_identity``), so it only ever reports the shop the
request resolves to. Without dates it reports the last 30 days, today included, in the shop's
time zone. Flows with a holdout group also get ``incrementality``: treated against held-out
enrollments (``app/reports/incrementality.py``) beside the flow's last-touch figures.
400 for a date that is not YYYY-MM-DD, an end before the start, or more than 366 days.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, jsonify, make_response, request

from app.core.errors import StoreflowError
from app.db import db
from app.jobs.services import current_services
from app.reports.attribution import Windows
from app.reports.confidence import Interval
from app.reports.incrementality import Group, Incrementality, shop_incrementality
from app.reports.queries import Report, Totals, shop_report, zone_named
from app.web.admin.auth import current_identity
from app.web.query_params import QueryParamError, query_date

bp = Blueprint("reports", __name__, url_prefix="/admin/api")

MAX_DAYS = 366
DEFAULT_DAYS = 30


class PeriodError(StoreflowError, ValueError):
    """The requested period cannot be reported on."""


@bp.get("/reports")
def report() -> Response:
    """Return the shop's report for the requested period."""
    shop = current_identity().shop
    try:
        start, end = period(request.args.get("start"), request.args.get("end"), _today(shop.timezone))
    except PeriodError as exc:
        abort(make_response(jsonify(error=str(exc)), 400))
    body = report_json(shop_report(shop.id, start, end))
    window = Windows.from_config(current_services().config).click
    last_touch = {row["flow_key"]: row for row in body["per_flow"]}
    body["incrementality"] = [
        incrementality_json(row, last_touch.get(row.flow_key))
        for row in shop_incrementality(db.session(), shop.id, start, end, window)
    ]
    return jsonify(body)


def period(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """Read the period's dates; either may be left out (end: today; start: 30 days before end)."""
    last = _date(end, "end") if end else today
    first = _date(start, "start") if start else last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise PeriodError("end is before start")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(f"the period is longer than {MAX_DAYS} days")
    return first, last


def report_json(report: Report) -> dict[str, Any]:
    """Lay a report out as JSON: amounts as strings, so no revenue is rounded through a float."""
    return {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "currency": report.currency,
        "totals": _totals(report.totals),
        "per_day": [{"day": row.day.isoformat(), **_totals(row.totals)} for row in report.per_day],
        "per_flow": [{"flow_key": row.flow_key, **_totals(row.totals)} for row in report.per_flow],
        "per_step": [
            {
                "flow_key": row.flow_key,
                "step_index": row.step_index,
                "channel": row.channel,
                "template": row.template,
                "variant": row.variant,
                **_totals(row.totals),
            }
            for row in report.per_step
        ],
        "per_channel": [{"channel": row.channel, **_totals(row.totals)} for row in report.per_channel],
    }


def incrementality_json(row: Incrementality, last_touch: dict[str, Any] | None) -> dict[str, Any]:
    """Lay out one flow's treated and held-out groups, the lifts with their 95 % intervals, and its
    last-touch credit (orders and revenue attributed to its messages) beside them."""
    return {
        "flow_key": row.flow_key,
        "treatment": _group(row.treatment),
        "holdout": _group(row.holdout),
        "conversion_lift": _rounded(row.conversion_lift),
        "conversion_lift_ci": _interval(row.conversion_lift_ci),
        "revenue_per_enrollment_lift": None if row.revenue_lift is None else str(row.revenue_lift),
        "revenue_per_enrollment_lift_ci": _interval(row.revenue_lift_ci),
        "interval": "95%: Newcombe hybrid score (rates), normal approximation (revenue)",
        "last_touch": {
            "converted": last_touch["converted"] if last_touch else 0,
            "revenue": last_touch["revenue"] if last_touch else "0",
        },
    }


def _group(group: Group) -> dict[str, Any]:
    per_enrollment = group.revenue_per_enrollment
    return {
        "enrollments": group.enrollments,
        "converted": group.converted,
        "conversion_rate": _rounded(group.conversion_rate),
        "revenue": str(group.revenue),
        "revenue_per_enrollment": None if per_enrollment is None else str(per_enrollment),
    }


def _interval(interval: Interval | None) -> list[float] | None:
    return None if interval is None else [round(interval.low, 4), round(interval.high, 4)]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _totals(totals: Totals) -> dict[str, Any]:
    return {**asdict(totals), "revenue": str(totals.revenue)}


def _date(value: str, name: str) -> date:
    try:
        return query_date(value, name)
    except QueryParamError as exc:
        raise PeriodError(str(exc)) from None


def _today(timezone: str) -> date:
    return current_services().clock.now().astimezone(zone_named(timezone)).date()
