"""Run the due steps of one enrollment: the body of every step job.

A job carries the enrollment's ``run_token`` from when it was scheduled. Running claims the
enrollment by bumping that token (so a duplicate of the same job becomes stale) and leasing it
(so the sweeper leaves it alone unless this worker dies), then executes steps until the next wait.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.core.clock import Clock
from app.core.errors import StoreflowError
from app.db import affected_rows
from app.db.checkpoint import checkpoint
from app.db.models import Enrollment
from app.db.models import decisions as decided
from app.db.models.automation import ACTIVE, EXITED
from flows.catalogue import get_flow
from flows.decisions import Facts, record_decision
from flows.definitions import Act, Flow, Send, Wait
from flows.engine import plan_next
from flows.exits import exit_reason
from flows.facts import facts_for
from flows.scheduling import StepScheduler
from flows.settings import ResolvedSettings, flow_settings
from flows.splits import holds, properties_in

log = logging.getLogger(__name__)

STEP_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class SendOutcome:
    """What to do after a send step: move on, try the step again at ``retry_at``, or exit."""

    retry_at: datetime | None = None
    exit_reason: str | None = None


class Sender(Protocol):
    def send(self, enrollment: Enrollment, flow: Flow, step: Send, index: int) -> SendOutcome: ...


class Actions(Protocol):
    def act(
        self, enrollment: Enrollment, flow: Flow, step: Act, settings: ResolvedSettings
    ) -> SendOutcome: ...


class NoActionsError(StoreflowError, RuntimeError):
    """A flow reached an action step, and the runner was given nothing to carry actions out."""


class StepRunner:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        scheduler: StepScheduler,
        sender: Sender,
        actions: Actions | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.scheduler = scheduler
        self.sender = sender
        self.actions = actions

    def run(self, enrollment_id: int, run_token: int) -> str:
        """Run what is due; return a one-word outcome for logs and tests."""
        now = self.clock.now()
        enrollment = self.session.get(Enrollment, enrollment_id)
        if enrollment is None or enrollment.state != ACTIVE or enrollment.run_token != run_token:
            return "stale"
        if enrollment.next_run_at is None:
            return "stale"
        if enrollment.next_run_at > now:
            self.scheduler.schedule(enrollment.id, run_token, enrollment.next_run_at)
            return "early"
        if not self._claim(enrollment_id, run_token):
            return "stale"
        enrollment = self.session.get_one(Enrollment, enrollment_id)
        try:
            return self._run_steps(enrollment)
        except StaleDataError:
            self.session.rollback()
            log.info("enrollment %s changed while its step ran; the newer state wins", enrollment_id)
            return "superseded"

    def _claim(self, enrollment_id: int, run_token: int) -> bool:
        # The lease is wall-clock time; on a compressed clock it spans more flow time.
        lease_until = self.clock.now() + STEP_LEASE * self.clock.speedup
        claimed = affected_rows(
            self.session.execute(
                update(Enrollment)
                .where(
                    Enrollment.id == enrollment_id,
                    Enrollment.run_token == run_token,
                    Enrollment.state == ACTIVE,
                )
                .values(run_token=run_token + 1, next_run_at=lease_until)
                .execution_options(synchronize_session=False)
            )
        )
        checkpoint(self.session)
        self.session.expire_all()
        return bool(claimed)

    def _run_steps(self, enrollment: Enrollment) -> str:
        flow = get_flow(enrollment.flow_key)
        settings = flow_settings(self.session, enrollment.shop_id, flow.key)
        while enrollment.step_index < len(flow.steps):
            index = enrollment.step_index
            step = flow.steps[index]
            if isinstance(step, Wait):
                break
            stop = exit_reason(self.session, enrollment, flow)
            if stop:
                return self._exit(enrollment, index, stop.reason, {"condition": stop.condition})
            if not settings.step_enabled(step):
                self._skip(enrollment, index, "step switched off", {"step": step.setting})
            elif enrollment.holdout:
                # A held-out enrollment walks the same steps and exits, but is sent nothing
                # (flows/holdout.py).
                self._skip(enrollment, index, "holdout group", {"holdout": True})
            elif self._split_allows(enrollment, settings, step, index):
                outcome = self._run_step(enrollment, flow, step, index, settings)
                if outcome.exit_reason:
                    return self._exit(enrollment, index, outcome.exit_reason, {"guard": flow.guard})
                if outcome.retry_at is not None:
                    enrollment.next_run_at = outcome.retry_at
                    checkpoint(self.session)
                    self.scheduler.schedule(enrollment.id, enrollment.run_token, outcome.retry_at)
                    return "retrying"
            enrollment.step_index = index + 1
            checkpoint(self.session)
        base = max(enrollment.anchor_at, self.clock.now())
        plan_next(enrollment, flow, settings, base)
        checkpoint(self.session)
        if enrollment.state == ACTIVE and enrollment.next_run_at is not None:
            self.scheduler.schedule(enrollment.id, enrollment.run_token, enrollment.next_run_at)
            return "waiting"
        return enrollment.state

    def _run_step(
        self, enrollment: Enrollment, flow: Flow, step: Send | Act, index: int, settings: ResolvedSettings
    ) -> SendOutcome:
        if isinstance(step, Send):
            return self.sender.send(enrollment, flow, step, index)
        if self.actions is None:
            raise NoActionsError(f"{flow.key} step {index} ({step.action}) needs an action runner")
        return self.actions.act(enrollment, flow, step, settings)

    def _split_allows(
        self, enrollment: Enrollment, settings: ResolvedSettings, step: Send | Act, index: int
    ) -> bool:
        """Follow the step's branch of a conditional split: no condition, or one that holds."""
        condition = settings.condition(step)
        if condition.always:
            return True
        facts = facts_for(self.session, enrollment, index, properties_in(condition))
        if holds(condition, facts):
            return True
        text = settings.conditions[step.setting]
        self._skip(enrollment, index, f"condition not met: {text}", {"condition": text, **facts})
        log.info("enrollment %s skips step %d: %s does not hold", enrollment.id, index, text)
        return False

    def _skip(self, enrollment: Enrollment, index: int, reason: str, facts: Facts) -> None:
        record_decision(self.session, enrollment, index, decided.SKIPPED, reason, self.clock.now(), facts)

    def _exit(self, enrollment: Enrollment, index: int, reason: str, facts: Facts) -> str:
        record_decision(self.session, enrollment, index, decided.EXITED, reason, self.clock.now(), facts)
        enrollment.state = EXITED
        enrollment.exit_reason = reason
        enrollment.ended_at = self.clock.now()
        enrollment.next_run_at = None
        checkpoint(self.session)
        log.info("enrollment %s exited before step %d: %s", enrollment.id, index, reason)
        return "exited"
