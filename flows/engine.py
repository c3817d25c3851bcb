"""React to trigger events: enroll subjects into flows, re-arm them, or end them."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.core.clock import Clock
from app.core.events import TriggerEvent
from app.db.models import Enrollment
from app.db.models.automation import ACTIVE, COMPLETED, EXITED
from app.db.models.rows import insert_missing_rows, insert_row
from flows.catalogue import CATALOGUE
from flows.conditions import NEWS_GUARDS, Prospect, check_guard
from flows.decisions import EXIT_COLUMNS, Facts, record_exits
from flows.definitions import ExitScope, Flow, Wait
from flows.entry import run_entry
from flows.holdout import in_holdout
from flows.scheduling import StepScheduler
from flows.settings import ResolvedSettings, settings_for_shop

log = logging.getLogger(__name__)


def wait_for(wait: Wait, settings: ResolvedSettings, context: dict[str, Any]) -> timedelta:
    """Return how long a wait lasts: what the enrollment's entry decided, else the shop's setting."""
    if wait.from_context and isinstance(context.get(wait.from_context), int | float):
        return timedelta(seconds=context[wait.from_context])
    return settings.delay(wait)


def plan_next(enrollment: Enrollment, flow: Flow, settings: ResolvedSettings, base: datetime) -> None:
    """Walk over the waits ahead and set when the next step is due, or complete the enrollment.

    ``base`` is when the waiting starts: the shopper's last activity when enrolling, and
    "now or the planned time, whichever is later" after a step ran, so a late start never bursts
    several messages at once.
    """
    index = enrollment.step_index
    anchor = base
    while index < len(flow.steps) and isinstance(step := flow.steps[index], Wait):
        anchor = anchor + wait_for(step, settings, enrollment.context or {})
        index += 1
    enrollment.step_index = index
    enrollment.anchor_at = anchor
    if index >= len(flow.steps):
        enrollment.state = COMPLETED
        enrollment.ended_at = base
        enrollment.next_run_at = None
    else:
        enrollment.next_run_at = anchor


def enrollment_key(flow: Flow, event: TriggerEvent) -> str | None:
    """Name what an enrollment of this flow is about, or None when the event has no such subject."""
    if event.subject_key.startswith(f"{flow.subject}:"):
        return event.subject_key
    if flow.subject == "contact" and event.contact_id is not None:
        return f"contact:{event.contact_id}"
    return None


def _same_news(first: TriggerEvent, other: TriggerEvent) -> bool:
    return (first.kind, first.shop_id, first.data) == (other.kind, other.shop_id, other.data)


class FlowEngine:
    """Apply one trigger event to every flow of the shop."""

    def __init__(
        self,
        session: Session,
        clock: Clock,
        scheduler: StepScheduler,
        catalogue: dict[str, Flow] = CATALOGUE,
    ) -> None:
        self.session = session
        self.clock = clock
        self.scheduler = scheduler
        self.catalogue = catalogue
        self._settings: dict[int, dict[str, ResolvedSettings]] = {}
        self._fresh: set[int] = set()

    def handle(self, event: TriggerEvent) -> None:
        """Exit what the event settles, then enroll or re-arm what it starts."""
        settings = self.settings_of(event.shop_id)
        self._exit(event)
        for flow in self.catalogue.values():
            if event.kind in flow.triggers or event.kind in flow.rearm_on:
                self._enroll_or_rearm(flow, event, settings[flow.key])

    def settings_of(self, shop_id: int) -> dict[str, ResolvedSettings]:
        """Resolve the shop's settings once per engine, that is once per unit of work.

        A unit of work is one transaction (a batch of webhooks, one storefront job): nothing in it
        changes a shop's flow settings, so every event of the batch sees what the first one read.
        """
        if shop_id not in self._settings:
            self._settings[shop_id] = settings_for_shop(self.session, shop_id)
        return self._settings[shop_id]

    def created_contact(self, contact_id: int) -> None:
        """Note a contact created in this unit of work: until this engine enrolls it, it has none.

        Its row is not committed, so no other transaction can have enrolled it, and within this
        one only the engine enrolls: the statements that would end or look up its enrollments
        (contact-scoped exits, "already in a flow that wins", "leave the flows this one beats")
        can only match nothing, and are skipped.
        """
        self._fresh.add(contact_id)

    def handle_all(self, events: Sequence[TriggerEvent]) -> None:
        """Apply events in order, as ``handle`` does each; one piece of news for many shoppers together.

        A run of consecutive events of the same kind, shop and data, each for its own shopper (an
        alert wave's batch), enrolls in one statement per flow when nothing about it depends on the
        shopper (``_enroll_together``). Anything else goes through ``handle``, one event at a time.
        """
        index = 0
        while index < len(events):
            end = index + 1
            while end < len(events) and _same_news(events[index], events[end]):
                end += 1
            run = events[index:end]
            if len(run) == 1 or len({event.contact_id for event in run}) < len(run):
                for event in run:
                    self.handle(event)
            else:
                self._handle_news(run)
            index = end

    def _handle_news(self, events: Sequence[TriggerEvent]) -> None:
        first = events[0]
        if any(first.kind in flow.exit_kinds() for flow in self.catalogue.values()):
            for event in events:
                self.handle(event)
            return
        settings = self.settings_of(first.shop_id)
        for flow in self.catalogue.values():
            if first.kind in flow.triggers or first.kind in flow.rearm_on:
                if self._enrolls_together(flow, first):
                    self._enroll_together(flow, events, settings[flow.key])
                else:
                    for event in events:
                        self._enroll_or_rearm(flow, event, settings[flow.key])

    def _enrolls_together(self, flow: Flow, event: TriggerEvent) -> bool:
        """Tell whether enrolling in this flow depends only on the news, never on who is told."""
        beaten = any(flow.key in other.exit_on_entering for other in self.catalogue.values())
        return (
            event.kind in flow.triggers
            and event.kind not in flow.rearm_on
            and flow.entry is None
            and (flow.guard is None or flow.guard in NEWS_GUARDS)
            and not flow.exit_on_entering
            and not beaten
        )

    def _enroll_together(
        self, flow: Flow, events: Sequence[TriggerEvent], settings: ResolvedSettings
    ) -> None:
        """Enroll a batch told the same news in one INSERT; what is stored already goes one by one.

        Same outcome as ``_enroll_or_rearm`` for each event: the flow's entry, guard and plan read
        only the news, so they are decided once; a subject enrolled before (a redelivery, an earlier
        lapse) takes the one-at-a-time path with its re-entry rules, and one a concurrent worker
        enrolls meanwhile is skipped by the INSERT (``ON CONFLICT DO NOTHING``).
        """
        first = events[0]
        if not settings.enabled and first.kind not in flow.runs_while_off:
            return
        keyed = [(key, event) for event in events if (key := enrollment_key(flow, event)) is not None]
        if not keyed or any(event.contact_id is None for _, event in keyed):
            for event in events:
                self._enroll_or_rearm(flow, event, settings)
            return
        stored = set(
            self.session.scalars(
                select(Enrollment.subject_key).where(
                    Enrollment.shop_id == first.shop_id,
                    Enrollment.flow_key == flow.key,
                    Enrollment.subject_key.in_([key for key, _ in keyed]),
                )
            )
        )
        for key, event in keyed:
            if key in stored:
                self._enroll_or_rearm(flow, event, settings)
        fresh = [(key, event) for key, event in keyed if key not in stored]
        if not fresh:
            return
        context = run_entry(flow.entry, self.session, settings, first)
        if context is None or (flow.guard and self._settled_already(flow, first, fresh[0][0], context)):
            return
        plan = Enrollment(step_index=0, context=context)
        plan_next(plan, flow, settings, base=first.occurred_at)
        now = self.clock.now()
        rows = [
            {
                "shop_id": event.shop_id,
                "flow_key": flow.key,
                "subject_key": key,
                "contact_id": event.contact_id,
                "state": plan.state or ACTIVE,
                "step_index": plan.step_index,
                "anchor_at": plan.anchor_at,
                "next_run_at": plan.next_run_at,
                "run_token": 1,  # what the ORM's version counter gives a new row
                "last_activity_at": event.occurred_at,
                "exit_reason": None,
                "context": context,
                "holdout": in_holdout(flow.key, event.contact_id, settings.holdout_percent),
                "started_at": now,
                "ended_at": plan.ended_at,
                "updated_at": now,
            }
            for key, event in fresh
            if event.contact_id is not None
        ]
        enrolled = insert_missing_rows(
            self.session, Enrollment, rows, ("shop_id", "flow_key", "subject_key"), ("id", "run_token")
        )
        log.info(
            "enrolled %d of %d in %s, next step at %s", len(enrolled), len(rows), flow.key, plan.next_run_at
        )
        if (plan.state or ACTIVE) == ACTIVE and plan.next_run_at is not None:
            for enrollment_id, run_token in enrolled:
                self.scheduler.schedule(enrollment_id, run_token, plan.next_run_at)

    def _enroll_or_rearm(self, flow: Flow, event: TriggerEvent, settings: ResolvedSettings) -> None:
        key = enrollment_key(flow, event)
        if key is None:
            return
        existing = self._find(event.shop_id, flow.key, key)
        if existing is not None:
            if existing.state == ACTIVE and event.kind in flow.rearm_on:
                self._rearm(existing, flow, settings, event)
                return
            if not self._may_reenter(existing, flow, settings, event):
                return
        if event.kind not in flow.triggers or event.contact_id is None:
            return
        if not settings.enabled and event.kind not in flow.runs_while_off:
            return
        context = run_entry(flow.entry, self.session, settings, event)
        if context is None:
            return
        if flow.guard and self._settled_already(flow, event, key, context):
            return
        if self._in_flow_that_wins(flow, event.shop_id, event.contact_id):
            return
        if existing is not None:
            self._archive(existing, key)
        self._enroll(flow, event, settings, key, context)

    def _find(self, shop_id: int, flow_key: str, key: str) -> Enrollment | None:
        return self.session.scalars(
            select(Enrollment).filter_by(shop_id=shop_id, flow_key=flow_key, subject_key=key)
        ).first()

    def _may_reenter(
        self, existing: Enrollment, flow: Flow, settings: ResolvedSettings, event: TriggerEvent
    ) -> bool:
        """A finished enrollment may start again once the flow's re-entry days have passed."""
        if existing.state == ACTIVE or flow.reentry_param is None or existing.ended_at is None:
            return False
        return event.occurred_at >= existing.ended_at + timedelta(days=settings.param(flow.reentry_param))

    def _archive(self, existing: Enrollment, key: str) -> None:
        """Free the subject key for a new enrollment; the old one keeps its messages under a new name."""
        existing.subject_key = f"{key}~{existing.id}"
        self.session.flush()

    def _enroll(
        self, flow: Flow, event: TriggerEvent, settings: ResolvedSettings, key: str, context: dict[str, Any]
    ) -> None:
        assert event.contact_id is not None
        now = self.clock.now()
        enrollment = Enrollment(
            shop_id=event.shop_id,
            flow_key=flow.key,
            subject_key=key,
            contact_id=event.contact_id,
            state=ACTIVE,
            step_index=0,
            anchor_at=event.occurred_at,
            last_activity_at=event.occurred_at,
            started_at=now,
            context=context,
            holdout=in_holdout(flow.key, event.contact_id, settings.holdout_percent),
        )
        plan_next(enrollment, flow, settings, base=event.occurred_at)
        inserted = insert_row(self.session, enrollment)
        if inserted is None:
            log.info("%s already enrolled in %s by a concurrent worker", key, flow.key)
            return
        enrollment = inserted
        log.info("enrolled %s in %s, next step at %s", key, flow.key, enrollment.next_run_at)
        self._leave_flows_this_one_beats(flow, enrollment)
        if enrollment.state == ACTIVE and enrollment.next_run_at is not None:
            self.scheduler.schedule(enrollment.id, enrollment.run_token, enrollment.next_run_at)

    def _settled_already(self, flow: Flow, event: TriggerEvent, key: str, context: dict[str, Any]) -> bool:
        """Do not start a flow whose guard already fails (the order came first, the stock is gone)."""
        assert event.contact_id is not None
        now = self.clock.now()
        prospect = Prospect(event.shop_id, key, event.contact_id, event.occurred_at, now, context)
        reason = check_guard(flow.guard, self.session, prospect, now)
        if reason:
            log.info("not enrolling %s in %s: %s", key, flow.key, reason)
        return reason is not None

    def _in_flow_that_wins(self, flow: Flow, shop_id: int, contact_id: int) -> bool:
        """Tell whether the shopper is in a flow that ends this one (a checkout beats a cart)."""
        if not flow.exit_on_entering or contact_id in self._fresh:
            return False
        found = self.session.scalars(
            select(Enrollment.flow_key).where(
                Enrollment.shop_id == shop_id,
                Enrollment.contact_id == contact_id,
                Enrollment.state == ACTIVE,
                Enrollment.flow_key.in_(flow.exit_on_entering),
            )
        ).first()
        if found:
            log.info("not enrolling contact %s in %s: already in %s", contact_id, flow.key, found)
        return found is not None

    def _leave_flows_this_one_beats(self, flow: Flow, enrollment: Enrollment) -> None:
        """End the shopper's enrollments in flows that stop when they enter this one."""
        beaten = [other.key for other in self.catalogue.values() if flow.key in other.exit_on_entering]
        fresh = enrollment.contact_id in self._fresh and flow.key not in beaten
        self._fresh.discard(enrollment.contact_id)
        if not beaten or fresh:
            return
        ended = self._end_active(
            f"entered {flow.key}",
            {"entered": flow.key},
            Enrollment.shop_id == enrollment.shop_id,
            Enrollment.contact_id == enrollment.contact_id,
            Enrollment.flow_key.in_(beaten),
        )
        if ended:
            log.info("entering %s ended %d other enrollment(s)", flow.key, len(ended))

    def _rearm(
        self, enrollment: Enrollment, flow: Flow, settings: ResolvedSettings, event: TriggerEvent
    ) -> None:
        """The shopper is active again: push the pending step back by its wait, counted from now."""
        if event.occurred_at <= enrollment.last_activity_at:
            return
        enrollment.last_activity_at = event.occurred_at
        index = enrollment.step_index
        pending = flow.steps[index - 1] if 0 < index <= len(flow.steps) else None
        if isinstance(pending, Wait) and enrollment.next_run_at is not None:
            due = event.occurred_at + wait_for(pending, settings, enrollment.context or {})
            if due > enrollment.next_run_at:
                enrollment.next_run_at = due
                enrollment.anchor_at = due
        self.session.flush()
        if enrollment.next_run_at is not None:
            self.scheduler.schedule(enrollment.id, enrollment.run_token, enrollment.next_run_at)

    def _exit(self, event: TriggerEvent) -> None:
        """End, in one statement for every flow, the enrollments this event settles."""
        per_flow: list[ColumnElement[bool]] = []
        for flow in self.catalogue.values():
            if event.kind not in flow.exit_kinds():
                continue
            clauses = self._exit_clauses(flow, event, event.contact_id not in self._fresh)
            if clauses:
                per_flow.append((Enrollment.flow_key == flow.key) & or_(*clauses))
        if not per_flow:
            return
        ended = self._end_active(
            f"{event.kind.value} ({event.subject_key})",
            {"condition": event.kind.value},
            Enrollment.shop_id == event.shop_id,
            or_(*per_flow),
        )
        for flow_key, count in Counter(row.flow_key for row in ended).items():
            log.info("%s ended %d %s enrollment(s)", event.kind.value, count, flow_key)

    @staticmethod
    def _exit_clauses(flow: Flow, event: TriggerEvent, by_contact: bool) -> list[ColumnElement[bool]]:
        """Say which of the shop's enrollments in ``flow`` the event's kind ends, by the flow's rules.

        ``by_contact`` is False for a contact known to have no enrollment: its rules match nothing.
        """
        clauses: list[ColumnElement[bool]] = []
        for rule in flow.exit_on:
            if rule.kind != event.kind:
                continue
            if rule.scope == ExitScope.SUBJECT:
                clauses.append(Enrollment.subject_key.in_(event.keys))
            elif event.contact_id is not None and by_contact:
                clauses.append(
                    (Enrollment.contact_id == event.contact_id)
                    & (Enrollment.last_activity_at <= event.occurred_at)
                )
        return clauses

    def _end_active(
        self, reason: str, facts: Facts, *where: ColumnElement[bool]
    ) -> Sequence[Row[int, int, int, str, int]]:
        """End the active enrollments matching ``where`` in one UPDATE, logging each one's exit.

        Bumping ``run_token`` fences off any step job already queued for them (flows/runner.py).
        """
        now = self.clock.now()
        ended = self.session.execute(
            update(Enrollment)
            .where(Enrollment.state == ACTIVE, *where)
            .values(
                state=EXITED,
                exit_reason=reason,
                ended_at=now,
                next_run_at=None,
                run_token=Enrollment.run_token + 1,
            )
            .returning(*EXIT_COLUMNS)
            .execution_options(synchronize_session="fetch")
        ).all()
        record_exits(self.session, ended, reason, now, facts)
        return ended
