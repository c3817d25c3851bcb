"""What an operator watches: the inbox, the due steps and the sends, read from the database.

The web and the workers are separate processes (separate dynos on Heroku), so a figure that happens
in a worker cannot be kept in its memory and shown by the web: it is read here, at the moment it is
asked for, by a few grouped queries. ``/metrics``, ``/healthz?deep=1`` and ``flask storeflow status``
share this one reading, so the three never disagree on what "failed" or "late" means.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Float, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.db.models import Enrollment, Message, WebhookEvent
from app.db.models.automation import ACTIVE
from app.db.models.inbox import QUARANTINED, REJECTED

# Sends whose provider latency is shown: the recent ones, so the figure moves when the provider slows.
LATENCY_WINDOW = timedelta(hours=1)

Moment = InstrumentedAttribute[datetime | None]


@dataclass(frozen=True)
class Latency:
    """How long the provider took over the recent sends of one channel (claimed → sent), in seconds."""

    count: int
    average: float
    longest: float


@dataclass(frozen=True)
class Operations:
    """One reading of the database's operational figures."""

    # (platform, status) -> stored events; status is the inbox's own (pending, processed, ...).
    events: dict[tuple[str, str], int]
    # platform -> events not yet settled whose processing already raised at least once.
    failing: dict[str, int]
    # How late the oldest overdue step is (zero when none is overdue), in flow time.
    due_lag: timedelta
    overdue_steps: int
    # (channel, status) -> messages.
    messages: dict[tuple[str, str], int]
    latency: dict[str, Latency]

    def events_with(self, *statuses: str) -> int:
        return sum(count for (_, status), count in self.events.items() if status in statuses)

    @property
    def unprocessed(self) -> int:
        return self.events_with("pending")

    @property
    def set_aside(self) -> int:
        return self.events_with(REJECTED, QUARANTINED)


def read_operations(session: Session, now: datetime) -> Operations:
    """Read the figures at ``now`` (flow time, the clock the due steps are scheduled on)."""
    events = session.execute(
        select(WebhookEvent.platform, WebhookEvent.status, func.count()).group_by(
            WebhookEvent.platform, WebhookEvent.status
        )
    ).all()
    failing = session.execute(
        select(WebhookEvent.platform, func.count())
        .where(WebhookEvent.processed_at.is_(None), WebhookEvent.attempts > 0)
        .group_by(WebhookEvent.platform)
    ).all()
    oldest, overdue = session.execute(
        select(func.min(Enrollment.next_run_at), func.count()).where(
            Enrollment.state == ACTIVE, Enrollment.next_run_at <= now
        )
    ).one()
    messages = session.execute(
        select(Message.channel, Message.status, func.count()).group_by(Message.channel, Message.status)
    ).all()
    seconds = _seconds_between(session, Message.claimed_at, Message.sent_at)
    latency = session.execute(
        select(Message.channel, func.count(), func.avg(seconds), func.max(seconds))
        .where(Message.sent_at >= now - LATENCY_WINDOW, Message.claimed_at.is_not(None))
        .group_by(Message.channel)
    ).all()
    return Operations(
        events={(platform, status): count for platform, status, count in events},
        failing={platform: count for platform, count in failing},
        due_lag=max(now - oldest, timedelta(0)) if oldest is not None else timedelta(0),
        overdue_steps=overdue,
        messages={(channel, status): count for channel, status, count in messages},
        latency={
            channel: Latency(count, float(average or 0), float(longest or 0))
            for channel, count, average, longest in latency
        },
    )


def _seconds_between(session: Session, start: Moment, end: Moment) -> ColumnElement[float]:
    """``end - start`` in seconds (SQLite, the demo's database, has no interval type)."""
    if session.get_bind().dialect.name == "sqlite":
        return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)
    return cast(func.extract("epoch", end - start), Float)
