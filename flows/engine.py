"""React to trigger events: enroll subjects into flows, re-arm them, or end them."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.clock import Clock
from app.extensions import affected_rows
from app.models import Enrollment
from app.models.automation import ACTIVE, COMPLETED, EXITED
from flows.catalogue import CATALOGUE
from flows.conditions import Prospect, check_guard
from flows.definitions import ExitScope, Flow, Wait
from flows.events import TriggerEvent
from flows.scheduling import StepScheduler
from flows.settings import ResolvedSettings, settings_for_shop

log = logging.getLogger(__name__)


def plan_next(enrollment: Enrollment, flow: Flow, settings: ResolvedSettings, base: datetime) -> None:
    """Walk over the waits ahead and set when the next send is due, or complete the enrollment.

    ``base`` is when the waiting starts: the shopper's last activity when enrolling, and
    "now or the planned time, whichever is later" after a step ran, so a late start never bursts
    several messages at once.
    """
    index = enrollment.step_index
    anchor = base
    while index < len(flow.steps) and isinstance(step := flow.steps[index], Wait):
        anchor = anchor + settings.delay(step)
        index += 1
    enrollment.step_index = index
    enrollment.anchor_at = anchor
    if index >= len(flow.steps):
        enrollment.state = COMPLETED
        enrollment.ended_at = base
        enrollment.next_run_at = None
    else:
        enrollment.next_run_at = anchor


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

    def handle(self, event: TriggerEvent) -> None:
        """Exit what the event settles, then enroll or re-arm what it starts."""
        settings = settings_for_shop(self.session, event.shop_id)
        for flow in self.catalogue.values():
            if event.kind in flow.exit_kinds():
                self._exit(flow, event)
        for flow in self.catalogue.values():
            if event.kind in flow.triggers or event.kind in flow.rearm_on:
                self._enroll_or_rearm(flow, event, settings[flow.key])

    def _enroll_or_rearm(self, flow: Flow, event: TriggerEvent, settings: ResolvedSettings) -> None:
        existing = self.session.scalars(
            select(Enrollment).filter_by(
                shop_id=event.shop_id, flow_key=flow.key, subject_key=event.subject_key
            )
        ).first()
        if existing is not None:
            if existing.state == ACTIVE and event.kind in flow.rearm_on:
                self._rearm(existing, flow, settings, event)
            return
        if event.kind not in flow.triggers or not settings.enabled or event.contact_id is None:
            return
        if flow.guard and self._settled_already(flow, event):
            return
        now = self.clock.now()
        enrollment = Enrollment(
            shop_id=event.shop_id,
            flow_key=flow.key,
            subject_key=event.subject_key,
            contact_id=event.contact_id,
            state=ACTIVE,
            step_index=0,
            anchor_at=event.occurred_at,
            last_activity_at=event.occurred_at,
            started_at=now,
        )
        plan_next(enrollment, flow, settings, base=event.occurred_at)
        try:
            with self.session.begin_nested():
                self.session.add(enrollment)
        except IntegrityError:
            log.info("%s already enrolled in %s by a concurrent worker", event.subject_key, flow.key)
            return
        log.info("enrolled %s in %s, next step at %s", event.subject_key, flow.key, enrollment.next_run_at)
        if enrollment.state == ACTIVE and enrollment.next_run_at is not None:
            self.scheduler.schedule(enrollment.id, enrollment.run_token, enrollment.next_run_at)

    def _settled_already(self, flow: Flow, event: TriggerEvent) -> bool:
        """Do not start a recovery flow for a subject that is already settled (order came first)."""
        assert event.contact_id is not None
        prospect = Prospect(event.shop_id, event.subject_key, event.contact_id, event.occurred_at)
        reason = check_guard(flow.guard, self.session, prospect, self.clock.now())
        if reason:
            log.info("not enrolling %s in %s: %s", event.subject_key, flow.key, reason)
        return reason is not None

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
            due = event.occurred_at + settings.delay(pending)
            if due > enrollment.next_run_at:
                enrollment.next_run_at = due
                enrollment.anchor_at = due
        self.session.flush()
        if enrollment.next_run_at is not None:
            self.scheduler.schedule(enrollment.id, enrollment.run_token, enrollment.next_run_at)

    def _exit(self, flow: Flow, event: TriggerEvent) -> None:
        clauses: list[ColumnElement[bool]] = []
        for rule in flow.exit_on:
            if rule.kind != event.kind:
                continue
            if rule.scope == ExitScope.SUBJECT:
                clauses.append(Enrollment.subject_key.in_(event.keys))
            elif event.contact_id is not None:
                clauses.append(
                    (Enrollment.contact_id == event.contact_id)
                    & (Enrollment.last_activity_at <= event.occurred_at)
                )
        if not clauses:
            return
        ended = affected_rows(
            self.session.execute(
                update(Enrollment)
                .where(
                    Enrollment.shop_id == event.shop_id,
                    Enrollment.flow_key == flow.key,
                    Enrollment.state == ACTIVE,
                    or_(*clauses),
                )
                .values(
                    state=EXITED,
                    exit_reason=f"{event.kind.value} ({event.subject_key})",
                    ended_at=self.clock.now(),
                    next_run_at=None,
                    run_token=Enrollment.run_token + 1,
                )
                .execution_options(synchronize_session="fetch")
            )
        )
        if ended:
            log.info("%s ended %d %s enrollment(s)", event.kind.value, ended, flow.key)
