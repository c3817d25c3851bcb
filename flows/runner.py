"""Run the due steps of enrollments: one at a time, or as the steps of a batch.

Running claims an enrollment by bumping its ``run_token`` (so a duplicate run becomes stale) and
leasing it (``next_run_at`` moves to the lease's end, so no other worker claims it unless this one
dies), then executes steps until the next wait. ``claim_due`` claims a whole batch of due
enrollments at once (``FOR UPDATE SKIP LOCKED``: workers on one database never claim the same row).

``steps`` is a generator: it runs an enrollment's steps and, where a message goes to a provider,
yields the ``ProviderCall`` and waits for its outcome. Whoever drives it decides when the claim is
made durable and where the call runs: ``run`` drives one enrollment, a commit before each call;
the batch executor (app/jobs/steps.py) drives many, one commit before all their calls, which it
makes concurrently.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
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


class ProviderCall(Protocol):
    """A message claimed for sending whose provider call is still to be made."""

    def call(self) -> object:
        """Talk to the provider and return its answer; touches no database, so any thread may run it."""

    def settle(self, answer: object) -> SendOutcome:
        """Record what the provider answered, and say what the step does next."""

    def unsettled(self) -> bool:
        """Tell whether the message still waits for this call's answer to be recorded."""


# An enrollment's steps as they run: yields each provider call, is sent its outcome, returns how it ended.
Steps = Generator[ProviderCall, SendOutcome, str]


class Sender(Protocol):
    def send(
        self, enrollment: Enrollment, flow: Flow, step: Send, index: int
    ) -> SendOutcome | ProviderCall: ...


class Actions(Protocol):
    def act(
        self, enrollment: Enrollment, flow: Flow, step: Act, settings: ResolvedSettings
    ) -> SendOutcome: ...


class NoActionsError(StoreflowError, RuntimeError):
    """A flow reached an action step, and the runner was given nothing to carry actions out."""


def claim_due(session: Session, now: datetime, lease_until: datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` enrollments due by ``now`` for one worker; return their ids.

    One statement: the due rows are locked with ``SKIP LOCKED`` (rows another worker is claiming
    are passed over, not waited for), bumped and leased. The caller commits. SQLite, one writer at a
    time, has no row locks to skip and ignores the clause.

    A batch takes one enrollment per shopper: a second one due for the same shopper is handed back,
    due at once, for the next batch, so it decides (contact budget, flow priority) knowing what the
    first one sent, as it would one at a time.
    """
    # A materialized CTE: as ``IN (subquery)`` PostgreSQL may run the locking subquery again for
    # rows other workers change meanwhile, and one claim took thousands of rows (bench/wave.py).
    due = (
        select(Enrollment.id)
        .where(Enrollment.state == ACTIVE, Enrollment.next_run_at <= now)
        .order_by(Enrollment.next_run_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    claimed = session.execute(
        update(Enrollment)
        .where(Enrollment.id == due.c.id)
        .values(run_token=Enrollment.run_token + 1, next_run_at=lease_until)
        .returning(Enrollment.id, Enrollment.contact_id)
        .execution_options(synchronize_session=False)
    ).all()
    shoppers: set[int] = set()
    batch: list[int] = []
    later: list[int] = []
    for enrollment_id, contact_id in sorted(claimed):
        (later if contact_id in shoppers else batch).append(enrollment_id)
        shoppers.add(contact_id)
    if later:
        session.execute(
            update(Enrollment)
            .where(Enrollment.id.in_(later))
            .values(next_run_at=now)
            .execution_options(synchronize_session=False)
        )
    return batch


def changed_since_loaded(session: Session, enrollments: Sequence[Enrollment]) -> list[int]:
    """Lock these enrollments' rows till the commit and return the ids someone changed since loaded.

    A batch asks this once before its provider calls: one changed (an order ended it, a newer
    event re-armed it) must not be sent to. Locked until the batch commits its claims, none can
    change in between; a change after that commit comes after the claim, as it would one at a time.
    """
    if not enrollments:
        return []
    loaded = {enrollment.id: enrollment.run_token for enrollment in enrollments}
    rows = session.execute(
        select(Enrollment.id, Enrollment.run_token, Enrollment.state)
        .where(Enrollment.id.in_(loaded))
        .with_for_update()
        .execution_options(populate_existing=False)
    )
    current = {enrollment_id: (token, state) for enrollment_id, token, state in rows}
    return sorted(
        enrollment_id
        for enrollment_id, token in loaded.items()
        if current.get(enrollment_id) != (token, ACTIVE)
    )


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
        return self._claimed_run(enrollment_id, run_token)

    def resume(self, enrollment_id: int) -> str:
        """Claim an enrollment this worker already leased and run it on from its committed state.

        What a batch falls back to after an error: steps already done are done (a message row in a
        final state is never sent again), so running on from the last commit repeats nothing.
        """
        token = self.session.scalars(
            select(Enrollment.run_token).where(Enrollment.id == enrollment_id, Enrollment.state == ACTIVE)
        ).first()
        if token is None:
            return "stale"
        return self._claimed_run(enrollment_id, token)

    def _claimed_run(self, enrollment_id: int, run_token: int) -> str:
        if not self._claim(enrollment_id, run_token):
            return "stale"
        enrollment = self.session.get_one(Enrollment, enrollment_id)
        try:
            return self.drive(self.steps(enrollment))
        except StaleDataError:
            self.session.rollback()
            log.info("enrollment %s changed while its step ran; the newer state wins", enrollment_id)
            return "superseded"

    def drive(self, steps: Steps) -> str:
        """Run one enrollment's steps, each provider call made here, its claim durable before it."""
        try:
            call = next(steps)
            while True:
                checkpoint(self.session)
                call = steps.send(call.settle(call.call()))
        except StopIteration as finished:
            outcome: str = finished.value
            return outcome

    def lease_end(self) -> datetime:
        """When a claim made now runs out (wall-clock time; on a compressed clock it spans more flow time)."""
        return self.clock.now() + STEP_LEASE * self.clock.speedup

    def _claim(self, enrollment_id: int, run_token: int) -> bool:
        lease_until = self.lease_end()
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

    def steps(self, enrollment: Enrollment) -> Steps:
        """Run a claimed enrollment's steps until its next wait, yielding each provider call."""
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
                outcome = yield from self._run_step(enrollment, flow, step, index, settings)
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
    ) -> Generator[ProviderCall, SendOutcome, SendOutcome]:
        if isinstance(step, Send):
            sent = self.sender.send(enrollment, flow, step, index)
            if isinstance(sent, SendOutcome):
                return sent
            outcome: SendOutcome = yield sent
            return outcome
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
