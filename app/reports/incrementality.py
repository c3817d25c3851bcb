"""What a flow adds: treated enrollments against held-out ones (``flows/holdout.py``).

Both groups are measured the same way, so the comparison is fair: an enrollment converted when its
contact placed an order (not cancelled since) within the attribution window after the enrollment
started, whether or not a message was clicked; its revenue is what those orders total. Clicks
cannot be used, because held-out shoppers get nothing to click. Enrollments count in the period they
started in; their orders may fall after it, up to the window.

The conversion-rate lift comes with Newcombe's hybrid score interval and the revenue-per-enrollment
lift with a normal-approximation interval (``app/reports/confidence.py``), both at 95 %.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Enrollment, Order, Shop
from app.reports.confidence import Interval, difference_of_means, difference_of_proportions
from app.reports.queries import zone_named


@dataclass(frozen=True)
class Group:
    """One side of the comparison: how many enrollments, how many converted, what they spent."""

    enrollments: int
    converted: int
    revenue: Decimal

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.enrollments if self.enrollments else None

    @property
    def revenue_per_enrollment(self) -> Decimal | None:
        return (self.revenue / self.enrollments).quantize(Decimal("0.01")) if self.enrollments else None


@dataclass(frozen=True)
class Incrementality:
    """A flow's treated and held-out groups, and the lift between them with its 95 % interval."""

    flow_key: str
    treatment: Group
    holdout: Group
    conversion_lift: float | None
    conversion_lift_ci: Interval | None
    revenue_lift: Decimal | None
    revenue_lift_ci: Interval | None


@dataclass
class _Side:
    """Each enrollment of one group: whether it converted, and its revenue."""

    converted: list[bool]
    revenues: list[Decimal]

    def group(self) -> Group:
        return Group(len(self.revenues), sum(self.converted), sum(self.revenues, Decimal(0)))


def shop_incrementality(
    session: Session, shop_id: int, start: date, end: date, window: timedelta, flow_key: str | None = None
) -> list[Incrementality]:
    """Compare the groups of enrollments started over [start, end] (inclusive, the shop's days)."""
    shop = session.get(Shop, shop_id)
    zone = zone_named(shop.timezone if shop else "UTC")
    since = datetime.combine(start, time(), zone)
    until = datetime.combine(end + timedelta(days=1), time(), zone)
    return incrementality(session, shop_id, since, until, window, flow_key)


def incrementality(
    session: Session,
    shop_id: int,
    since: datetime,
    until: datetime,
    window: timedelta,
    flow_key: str | None = None,
) -> list[Incrementality]:
    """Compare treated and held-out enrollments started in [since, until), for flows with a holdout
    (or for one flow only)."""
    query = select(
        Enrollment.flow_key, Enrollment.contact_id, Enrollment.started_at, Enrollment.holdout
    ).where(Enrollment.shop_id == shop_id, Enrollment.started_at >= since, Enrollment.started_at < until)
    if flow_key is not None:
        query = query.where(Enrollment.flow_key == flow_key)
    enrollments = session.execute(query).all()
    held_out_flows = {row.flow_key for row in enrollments if row.holdout}
    if not held_out_flows:
        return []
    orders = _orders_by_contact(session, shop_id, since, until + window)
    sides: dict[tuple[str, bool], _Side] = defaultdict(lambda: _Side([], []))
    for flow_key, contact_id, started_at, holdout in enrollments:
        if flow_key in held_out_flows:
            placed, spent = _spent(orders.get(contact_id), started_at, started_at + window)
            sides[(flow_key, holdout)].converted.append(placed > 0)
            sides[(flow_key, holdout)].revenues.append(spent)
    return [_compare(key, sides[(key, False)], sides[(key, True)]) for key in sorted(held_out_flows)]


def _orders_by_contact(
    session: Session, shop_id: int, since: datetime, until: datetime
) -> dict[int, tuple[list[datetime], list[Decimal]]]:
    """Return each contact's orders in the span as (placement times, totals), sorted by time."""
    found: dict[int, tuple[list[datetime], list[Decimal]]] = {}
    for contact_id, placed_at, total in session.execute(
        select(Order.contact_id, Order.placed_at, Order.total_price)
        .where(
            Order.shop_id == shop_id,
            Order.contact_id.is_not(None),
            Order.cancelled_at.is_(None),
            Order.placed_at > since,
            Order.placed_at <= until,
        )
        .order_by(Order.placed_at, Order.id)
    ):
        if contact_id is None or placed_at is None:  # excluded by the query; narrows the types
            continue
        times, totals = found.setdefault(contact_id, ([], []))
        times.append(placed_at)
        totals.append(total or Decimal(0))
    return found


def _spent(
    orders: tuple[list[datetime], list[Decimal]] | None, after: datetime, until: datetime
) -> tuple[int, Decimal]:
    """Count and total the orders placed after the enrollment started, up to the end of the window."""
    if orders is None:
        return 0, Decimal(0)
    times, totals = orders
    inside = totals[bisect_right(times, after) : bisect_right(times, until)]
    return len(inside), sum(inside, Decimal(0))


def _compare(flow_key: str, treated: _Side, held: _Side) -> Incrementality:
    treatment, holdout = treated.group(), held.group()
    rates = (treatment.conversion_rate, holdout.conversion_rate)
    revenues = (treatment.revenue_per_enrollment, holdout.revenue_per_enrollment)
    return Incrementality(
        flow_key=flow_key,
        treatment=treatment,
        holdout=holdout,
        conversion_lift=rates[0] - rates[1] if rates[0] is not None and rates[1] is not None else None,
        conversion_lift_ci=difference_of_proportions(
            treatment.converted, treatment.enrollments, holdout.converted, holdout.enrollments
        ),
        revenue_lift=revenues[0] - revenues[1]
        if revenues[0] is not None and revenues[1] is not None
        else None,
        revenue_lift_ci=difference_of_means(
            [float(r) for r in treated.revenues], [float(r) for r in held.revenues]
        ),
    )
