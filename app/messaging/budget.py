"""One contact budget across channels, with flow priority: the generalisation of smart sending.

- **Budget**: at most N marketing messages per contact within a rolling window (Settings; one per
  16 hours unless changed, Klaviyo's email window), counted on every channel: email, SMS and any
  channel added later, since every message row counts whatever its channel.
- **Priority**: only messages of flows ranked at least as high count against a flow's budget, so a
  welcome email never holds back a checkout reminder (app/shops/flow_priority.py). And a lower
  flow may not spend the last unit of the window while a higher flow has a message due for the same
  shopper within it: the lower one yields, so the shopper gets the more useful message instead of
  both. Yielding always waits (``Held.waits``), whatever the flow's skip-or-defer setting: the higher
  message may never go (the shopper buys first, and recovery ends), and then the lower one should.
  Once the higher message went, the ordinary budget rule applies.
- **Frequency cap** (optional): at most M marketing messages per D days, counting every flow.

A flow's own earlier messages do not count: its cadence is the merchant's choice. Transactional and
requested messages are never held back (app/messaging/send_rules.py exempts them).

In a batch of steps (app/db/reads.py) each shopper's recent sends and upcoming steps are loaded
once for the whole batch (``preload_budget``); a batch holds one enrollment per shopper
(``claim_due`` in flows/runner.py), so what is loaded is all the budget needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Contact, Enrollment, Message, Shop
from app.db.models.automation import ACTIVE
from app.db.reads import remember, remembered, sharing_reads
from app.shops.flow_priority import rank
from app.shops.settings import contact_budget, flow_priority_order, frequency_cap
from flows.catalogue import CATALOGUE
from flows.definitions import Flow, Purpose, Send

# A message that yields to a higher flow due right now looks again a minute later, after it went.
RECHECK = timedelta(minutes=1)
# A higher send overdue by more than this is stuck, not about to go: it reserves nothing, so a lower
# message never re-checks every minute for days behind it.
OVERDUE = timedelta(minutes=15)


RECENT_SENDS = "budget_recent_sends"  # contact id → RecentSends, for shared reads
UPCOMING_STEPS = "budget_upcoming_steps"  # contact id → UpcomingSteps, for shared reads


@dataclass(frozen=True)
class RecentSends:
    """A shopper's messages sent after ``since``: (enrollment id, flow key, channel, sent at)."""

    since: datetime
    rows: list[tuple[int, str, str, datetime]]


@dataclass(frozen=True)
class UpcomingSteps:
    """A shopper's active enrollments due within [after, before]: (id, flow key, step, due)."""

    after: datetime
    before: datetime
    rows: list[tuple[int, str, int, datetime]]


@dataclass(frozen=True)
class Held:
    """Why the budget holds a message back, and when it would next have room.

    ``waits``: the message yields to a higher one that is only due, so it waits even in a flow set
    to skip.
    """

    reason: str
    until: datetime
    waits: bool = False


@dataclass(frozen=True)
class _Sent:
    flow: Flow
    channel: str
    at: datetime


class ContactBudget:
    def __init__(self, session: Session) -> None:
        self.session = session

    def held(
        self, shop: Shop, contact: Contact, enrollment: Enrollment, flow: Flow, now: datetime
    ) -> Held | None:
        """Return why this marketing message may not go now, or None when the budget has room."""
        order = flow_priority_order(shop)
        own = rank(order, flow.key)
        budget = contact_budget(shop)
        cap = frequency_cap(shop)
        horizon = budget_horizon(shop)
        if not horizon:
            return None
        sent = self._sent(contact, enrollment, now - horizon)
        if budget.window:
            counted = sorted(
                (m for m in sent if m.at > now - budget.window and rank(order, m.flow.key) >= own),
                key=lambda m: m.at,
            )
            allowance = f"{budget.messages} per {budget.window.total_seconds() / 3600:g} h across channels"
            if len(counted) >= budget.messages:
                last = counted[-1]
                hours = (now - last.at).total_seconds() / 3600
                reason = (
                    f"contact budget: {last.flow.name} {last.channel} sent {hours:.0f} h ago ({allowance})"
                )
                return Held(reason, counted[len(counted) - budget.messages].at + budget.window)
            if len(counted) + 1 == budget.messages:
                due = self._higher_due(order, own, contact, enrollment, now - OVERDUE, now + budget.window)
                if due is not None:
                    higher, at = due
                    reason = (
                        f"contact budget: the last message of the window is kept for {higher.name}, "
                        f"due {at:%Y-%m-%d %H:%M} UTC ({allowance})"
                    )
                    return Held(reason, max(at, now) + RECHECK, waits=True)
        if cap:
            messages, days = cap
            period = timedelta(days=days)
            times = sorted(m.at for m in sent if m.at > now - period)
            if len(times) >= messages:
                reason = f"frequency cap: {messages} marketing messages per {days} days reached"
                return Held(reason, times[len(times) - messages] + period)
        return None

    def _sent(self, contact: Contact, enrollment: Enrollment, since: datetime) -> list[_Sent]:
        """Return the marketing messages the contact got since then, from other enrollments."""
        known = _known(self.session, RECENT_SENDS, contact.id)
        if isinstance(known, RecentSends) and since >= known.since:
            rows = [(k, c, at) for e, k, c, at in known.rows if e != enrollment.id and at > since]
        else:
            rows = [
                (key, channel, at)
                for key, channel, at in self.session.execute(
                    select(Message.flow_key, Message.channel, Message.sent_at).where(
                        Message.contact_id == contact.id,
                        Message.enrollment_id != enrollment.id,
                        Message.sent_at.is_not(None),
                        Message.sent_at > since,
                    )
                )
                if at is not None
            ]
        return [
            _Sent(CATALOGUE[key], channel, at)
            for key, channel, at in rows
            if key in CATALOGUE and CATALOGUE[key].purpose == Purpose.MARKETING
        ]

    def _higher_due(
        self,
        order: tuple[str, ...],
        own: int,
        contact: Contact,
        enrollment: Enrollment,
        after: datetime,
        before: datetime,
    ) -> tuple[Flow, datetime] | None:
        """Return the soonest marketing message of a higher-ranked flow due for the contact, if any."""
        known = _known(self.session, UPCOMING_STEPS, contact.id)
        if isinstance(known, UpcomingSteps) and after >= known.after and before <= known.before:
            rows = [
                (key, index, at)
                for e, key, index, at in known.rows
                if e != enrollment.id and after <= at <= before
            ]
        else:
            rows = [
                (key, index, at)
                for key, index, at in self.session.execute(
                    select(Enrollment.flow_key, Enrollment.step_index, Enrollment.next_run_at)
                    .where(
                        Enrollment.contact_id == contact.id,
                        Enrollment.id != enrollment.id,
                        Enrollment.state == ACTIVE,
                        Enrollment.next_run_at >= after,
                        Enrollment.next_run_at <= before,
                    )
                    .order_by(Enrollment.next_run_at)
                )
                if at is not None
            ]
        for key, index, at in rows:
            other = CATALOGUE.get(key)
            if (
                other is not None
                and at is not None
                and other.purpose == Purpose.MARKETING
                and rank(order, key) > own
                and index < len(other.steps)
                and isinstance(other.steps[index], Send)
            ):
                return other, at
        return None


def budget_horizon(shop: Shop) -> timedelta:
    """How far back the shop counts a shopper's sends: its budget window or frequency cap, the longer."""
    cap = frequency_cap(shop)
    return max(contact_budget(shop).window, timedelta(days=cap[1]) if cap else timedelta(0))


def _known(session: Session, kind: str, contact_id: int) -> object:
    """What the batch loaded of one shopper (None outside a batch, or when not loaded)."""
    return remembered(session, kind, contact_id, lambda: None) if sharing_reads(session) else None


def preload_budget(session: Session, contact_ids: Iterable[int], now: datetime, horizon: timedelta) -> None:
    """Load the batch's shoppers' sends within ``horizon`` and their steps due within it: two queries."""
    ids = set(contact_ids)
    since, after, before = now - horizon, now - OVERDUE, now + horizon
    sends: dict[int, RecentSends] = {contact_id: RecentSends(since, []) for contact_id in ids}
    sent = select(
        Message.contact_id, Message.enrollment_id, Message.flow_key, Message.channel, Message.sent_at
    )
    for contact_id, enrollment_id, key, channel, at in session.execute(
        sent.where(Message.contact_id.in_(ids), Message.sent_at.is_not(None), Message.sent_at > since)
    ):
        if at is not None:
            sends[contact_id].rows.append((enrollment_id, key, channel, at))
    upcoming: dict[int, UpcomingSteps] = {contact_id: UpcomingSteps(after, before, []) for contact_id in ids}
    due = select(
        Enrollment.contact_id,
        Enrollment.id,
        Enrollment.flow_key,
        Enrollment.step_index,
        Enrollment.next_run_at,
    )
    for contact_id, enrollment_id, key, index, at in session.execute(
        due.where(
            Enrollment.contact_id.in_(ids),
            Enrollment.state == ACTIVE,
            Enrollment.next_run_at >= after,
            Enrollment.next_run_at <= before,
        ).order_by(Enrollment.next_run_at)
    ):
        if at is not None:
            upcoming[contact_id].rows.append((enrollment_id, key, index, at))
    remember(session, RECENT_SENDS, sends)
    remember(session, UPCOMING_STEPS, upcoming)
