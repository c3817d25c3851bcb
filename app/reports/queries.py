"""Report queries the admin and the JSON reports API share.

Every function takes a shop id and never returns another shop's rows.

How figures are counted, over [start, end] in the shop's time zone:
- sent: messages handed to a provider in the period (by ``sent_at``);
- delivered, opened, clicked, bounced (bounces and drops), complained, unsubscribed: messages with
  such an event in the period, each message once however often it was opened or clicked;
- converted and revenue: orders placed in the period and credited to a message
  (``app/reports/attribution.py``), less orders cancelled since.
Each figure falls on the day its own event happened, so a day's opens may belong to earlier sends.
Rows are read and added up here rather than grouped in SQL, because days are the shop's days and
SQLite (the demo's database) has no time zones; the indexes keep each read to the shop's period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from app.db import db
from app.db.models import Attribution, Message, MessageEvent, Order, Shop
from app.db.models.messaging import BOUNCED, CLICKED, COMPLAINED, DELIVERED, DROPPED, OPENED, UNSUBSCRIBED


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
    complained: int = 0


@dataclass(frozen=True)
class DayTotals:
    day: date
    totals: Totals


@dataclass(frozen=True)
class FlowTotals:
    flow_key: str
    totals: Totals


@dataclass(frozen=True)
class StepTotals:
    """One step of one flow, per channel and A/B variant (None until flows have splits)."""

    flow_key: str
    step_index: int
    channel: str
    template: str | None
    variant: str | None
    totals: Totals


@dataclass(frozen=True)
class ChannelTotals:
    channel: str
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
    per_step: list[StepTotals] = field(default_factory=list)
    per_channel: list[ChannelTotals] = field(default_factory=list)


# Which figure each message event counts towards.
MEASURES = {
    DELIVERED: "delivered",
    OPENED: "opened",
    CLICKED: "clicked",
    BOUNCED: "bounced",
    DROPPED: "bounced",
    COMPLAINED: "complained",
    UNSUBSCRIBED: "unsubscribed",
}

Step = tuple[str, int, str, str | None, str | None]  # flow, step, channel, template, variant


class Tally:
    """Distinct messages per figure, and credited orders with their revenue, for one group."""

    def __init__(self) -> None:
        self.messages: dict[str, set[int]] = defaultdict(set)
        self.orders: set[int] = set()
        self.revenue = Decimal("0")

    def count(self, measure: str, message_id: int) -> None:
        self.messages[measure].add(message_id)

    def convert(self, order_id: int, revenue: Decimal) -> None:
        if order_id not in self.orders:
            self.orders.add(order_id)
            self.revenue += revenue

    def totals(self) -> Totals:
        counts = {measure: len(ids) for measure, ids in self.messages.items()}
        return Totals(**counts, converted=len(self.orders), revenue=self.revenue)


class Breakdown:
    """The same figures kept for the whole period, per day, per flow, per step and per channel."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.total = Tally()
        self.days: dict[date, Tally] = defaultdict(Tally)
        self.flows: dict[str, Tally] = defaultdict(Tally)
        self.steps: dict[Step, Tally] = defaultdict(Tally)
        self.channels: dict[str, Tally] = defaultdict(Tally)

    def tallies(self, step: Step, at: datetime) -> Iterable[Tally]:
        day = at.astimezone(self.zone).date()
        return (self.total, self.days[day], self.flows[step[0]], self.steps[step], self.channels[step[2]])


def shop_report(shop_id: int, start: date, end: date) -> Report:
    """Return the shop's figures for the period."""
    shop = db.session.get(Shop, shop_id)
    zone = zone_named(shop.timezone if shop else "UTC")
    since = datetime.combine(start, time(), zone)
    until = datetime.combine(end + timedelta(days=1), time(), zone)
    breakdown = Breakdown(zone)
    for row in db.session.execute(
        select(Message.id, Message.sent_at, *_step_columns()).where(
            Message.shop_id == shop_id, Message.sent_at >= since, Message.sent_at < until
        )
    ):
        for tally in breakdown.tallies(_step(row[2:]), row[1]):
            tally.count("sent", row[0])
    for row in db.session.execute(
        select(MessageEvent.kind, MessageEvent.message_id, MessageEvent.occurred_at, *_step_columns())
        .join(Message, Message.id == MessageEvent.message_id)
        .where(
            MessageEvent.shop_id == shop_id,
            MessageEvent.occurred_at >= since,
            MessageEvent.occurred_at < until,
        )
    ):
        for tally in breakdown.tallies(_step(row[3:]), row[2]):
            tally.count(MEASURES[row[0]], row[1])
    for row in db.session.execute(
        select(
            Attribution.order_id,
            Attribution.revenue,
            Attribution.placed_at,
            Attribution.flow_key,
            Attribution.step_index,
            Attribution.channel,
            Message.template,
            Attribution.variant,
        )
        .join(Order, Order.id == Attribution.order_id)
        .outerjoin(Message, Message.id == Attribution.message_id)
        .where(
            Attribution.shop_id == shop_id,
            Attribution.placed_at >= since,
            Attribution.placed_at < until,
            Order.cancelled_at.is_(None),
        )
    ):
        for tally in breakdown.tallies(_step(row[3:]), row[2]):
            tally.convert(row[0], row[1])
    return _report(breakdown, start, end, shop.currency if shop else None)


def _step_columns() -> tuple[Any, ...]:
    return (Message.flow_key, Message.step_index, Message.channel, Message.template, Message.variant)


def _step(values: Sequence[Any]) -> Step:
    flow_key, step_index, channel, template, variant = values
    return str(flow_key), int(step_index), str(channel), template, variant


def _report(breakdown: Breakdown, start: date, end: date, currency: str | None) -> Report:
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return Report(
        start=start,
        end=end,
        currency=currency,
        totals=breakdown.total.totals(),
        per_day=[DayTotals(day, _totals(breakdown.days.get(day))) for day in days],
        per_flow=[FlowTotals(key, tally.totals()) for key, tally in sorted(breakdown.flows.items())],
        per_step=[
            StepTotals(*step, totals=tally.totals())
            for step, tally in sorted(breakdown.steps.items(), key=lambda item: _step_order(item[0]))
        ],
        per_channel=[ChannelTotals(key, tally.totals()) for key, tally in sorted(breakdown.channels.items())],
    )


def _totals(tally: Tally | None) -> Totals:
    return tally.totals() if tally is not None else Totals()


def _step_order(step: Step) -> tuple[str, int, str, str]:
    flow_key, step_index, channel, _template, variant = step
    return flow_key, step_index, channel, variant or ""


def zone_named(name: str) -> ZoneInfo:
    """Return the named time zone, or UTC when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
