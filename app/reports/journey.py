"""The figures a flow's journey shows on its nodes, for one shop and period, in a fixed few queries.

Counted over [start, end] in the shop's time zone, like every report (app/reports/queries.py):
- entered: enrollments started in the period; completed: enrollments that reached the end in it;
- waiting: enrollments active now whose next step is this one (not bound to the period: it is now);
- skipped: enrollments a step's "only when" condition turned away in the period (the decision log's
  "condition not met" skips), the "no" path of a branch;
- sent, delivered, opened, clicked, converted and revenue per message step: the report's own
  per-step figures (``Report.per_step``) added up over channels and variants, so the journey and
  the rest of the admin never disagree on a number.
Three statements, whatever the number of shoppers: one over enrollments, one grouping the waiting
ones by step, one grouping the condition skips by step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.db.models import Decision, Enrollment
from app.db.models.automation import ACTIVE, COMPLETED
from app.db.models.decisions import SKIPPED
from app.reports.queries import StepTotals, Totals, zone_named

# How the runner words a skip by a step's condition (flows/runner.py, ``_split_allows``).
CONDITION_SKIP = "condition not met:"


@dataclass(frozen=True)
class StepFigures:
    """One step's figures: how many wait for it now, how many its condition skipped, what it sent."""

    waiting: int = 0
    skipped: int = 0
    totals: Totals = field(default_factory=Totals)


@dataclass(frozen=True)
class JourneyFigures:
    entered: int = 0
    completed: int = 0
    steps: dict[int, StepFigures] = field(default_factory=dict)

    def step(self, index: int) -> StepFigures:
        return self.steps.get(index, StepFigures())


def journey_figures(
    session: Session,
    shop_id: int,
    timezone: str | None,
    flow_key: str,
    start: date,
    end: date,
    per_step: Iterable[StepTotals],
) -> JourneyFigures:
    """Return the flow's node figures for the period; ``per_step`` is the shop's report for it."""
    zone = zone_named(timezone or "UTC")
    since = datetime.combine(start, time(), zone)
    until = datetime.combine(end + timedelta(days=1), time(), zone)
    of_flow = (Enrollment.shop_id == shop_id, Enrollment.flow_key == flow_key)
    started = and_(Enrollment.started_at >= since, Enrollment.started_at < until)
    finished = and_(Enrollment.state == COMPLETED, Enrollment.ended_at >= since, Enrollment.ended_at < until)
    entered, completed = session.execute(
        select(
            func.coalesce(func.sum(case((started, 1), else_=0)), 0),
            func.coalesce(func.sum(case((finished, 1), else_=0)), 0),
        ).where(*of_flow)
    ).one()
    waiting: dict[int, int] = dict(
        session.execute(
            select(Enrollment.step_index, func.count())
            .where(*of_flow, Enrollment.state == ACTIVE)
            .group_by(Enrollment.step_index)
        ).all()
    )
    skipped: dict[int, int] = dict(
        session.execute(
            select(Decision.step_index, func.count())
            .where(
                Decision.shop_id == shop_id,
                Decision.flow_key == flow_key,
                Decision.outcome == SKIPPED,
                Decision.reason.startswith(CONDITION_SKIP, autoescape=True),
                Decision.decided_at >= since,
                Decision.decided_at < until,
            )
            .group_by(Decision.step_index)
        ).all()
    )
    sums = _per_step(row for row in per_step if row.flow_key == flow_key)
    indexes = set(waiting) | set(skipped) | set(sums)
    return JourneyFigures(
        entered=int(entered),
        completed=int(completed),
        steps={
            index: StepFigures(
                waiting=int(waiting.get(index, 0)),
                skipped=int(skipped.get(index, 0)),
                totals=sums.get(index, Totals()),
            )
            for index in indexes
        },
    )


def _per_step(rows: Iterable[StepTotals]) -> dict[int, Totals]:
    """Add up a step's rows (one per channel, template and variant) into one set of totals."""
    sums: dict[int, Totals] = {}
    for row in rows:
        before = sums.get(row.step_index, Totals())
        sums[row.step_index] = Totals(
            **{f.name: getattr(before, f.name) + getattr(row.totals, f.name) for f in fields(Totals)}
        )
    return sums
