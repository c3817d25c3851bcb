"""Run one flow for one shopper on a virtual clock with the real engine, runner and sender, in a
transaction that is rolled back (``sandbox.py``), and read back what happened as a timeline.

What differs from production is only at the edges: step jobs run in-process when the virtual clock
reaches them (instead of through RQ), messages go to a channel that keeps them (instead of a
provider), and discount codes are made up (instead of created on the platform). Every decision
(guards, exits, conditions, consent, suppression, quiet hours, smart sending, frequency caps,
holdouts) is the production code's. The simulator stands in for the jobs, so it also commits where
they do; in the sandbox a commit only releases a savepoint.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from app.core.clock import ManualClock
from app.core.config import Config
from app.core.events import TriggerEvent
from app.db import affected_rows
from app.db.models import Enrollment, FlowSetting, Message, Shop
from app.db.models.automation import ACTIVE, COMPLETED, EXITED
from app.db.models.rows import get_or_create
from app.messaging.actions import ContactActions
from app.reports.queries import zone_named
from app.shops.platform import PlatformDirectory
from app.simulation.edges import DryRunSender, KeepingChannel, RecordingScheduler
from app.simulation.errors import SimulationError
from app.simulation.sandbox import rolled_back_session
from app.simulation.scenarios import Setup, real, scenario_named, synthetic
from app.simulation.timeline import Entry, Simulation, message_kind
from flows.catalogue import UnknownFlowError, get_flow
from flows.conditions import Prospect, check_guard
from flows.definitions import Act, Flow, Wait
from flows.engine import FlowEngine, enrollment_key
from flows.entry import run_entry
from flows.runner import StepRunner
from flows.settings import ResolvedSettings, flow_settings

log = logging.getLogger(__name__)

HORIZON = timedelta(days=60)
MAX_RUNS = 500
MAX_SIMULATION_DAYS = 365


def simulate(
    engine: Engine,
    config: Config,
    platforms: PlatformDirectory,
    shop_id: int,
    flow_key: str,
    start: datetime,
    scenario: str = "engaged",
    email: str | None = None,
    horizon: timedelta = HORIZON,
) -> Simulation:
    """Run the flow for a synthetic scenario, or for the contact with ``email``; change nothing.

    ``platforms`` answer the send-time store check as in production; discount codes are made up.
    """
    try:
        flow = get_flow(flow_key)
    except UnknownFlowError:
        raise SimulationError(f"no flow {flow_key!r}") from None
    if not timedelta(0) < horizon <= timedelta(days=MAX_SIMULATION_DAYS):
        raise SimulationError(f"the horizon must be between 1 and {MAX_SIMULATION_DAYS} days")
    log.info(
        "simulating %s for shop %s: what is logged until it ends is rolled back, not sent", flow.key, shop_id
    )
    with rolled_back_session(engine) as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise SimulationError(f"no shop {shop_id}")
        run = _Run(session, config, platforms, shop, flow, start)
        notes = run.prepare()
        if email:
            setup = real(session, shop, flow, email, start)
            notes.extend(run.clear_way(setup.start))
            who = f"{setup.contact.email} (real contact, their stored history)"
        else:
            chosen = scenario_named(scenario)
            setup = synthetic(session, shop, flow, chosen, _start_for(shop, chosen.start_hour, start))
            who = f"synthetic: {chosen.name} ({chosen.description})"
        session.commit()
        entries = run.play(setup, horizon)
    log.info("simulation of %s for shop %s ended; nothing was sent or kept", flow.key, shop_id)
    return Simulation(flow, who, setup.start.occurred_at, entries, notes)


def _start_for(shop: Shop, hour: int | None, now: datetime) -> datetime:
    """Return the next time the shop's clock shows ``hour``:00, or now."""
    if hour is None:
        return now
    local = now.astimezone(zone_named(shop.timezone))
    candidate = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    return candidate if candidate >= local else candidate + timedelta(days=1)


class _Run:
    def __init__(
        self,
        session: Session,
        config: Config,
        platforms: PlatformDirectory,
        shop: Shop,
        flow: Flow,
        start: datetime,
    ) -> None:
        self.session = session
        self.config = config
        self.platforms = platforms
        self.shop = shop
        self.flow = flow
        self.clock = ManualClock(start)
        self.scheduler = RecordingScheduler()
        self.channel = KeepingChannel()
        self.entries: list[Entry] = []

    def prepare(self) -> list[str]:
        """Switch the flow on inside the sandbox, so a flow still off can be tried before it goes live."""
        setting, _ = get_or_create(self.session, FlowSetting, shop_id=self.shop.id, flow_key=self.flow.key)
        notes = []
        if not setting.enabled:
            setting.enabled = True
            notes.append(f"{self.flow.name} is switched off in this shop; simulated as if it were on.")
        return notes

    def clear_way(self, event: TriggerEvent) -> list[str]:
        """Set aside the contact's earlier enrollment on the same subject, as re-entry would."""
        key = enrollment_key(self.flow, event)
        moved = affected_rows(
            self.session.execute(
                update(Enrollment)
                .where(
                    Enrollment.shop_id == self.shop.id,
                    Enrollment.flow_key == self.flow.key,
                    Enrollment.subject_key == key,
                )
                .values(subject_key=Enrollment.subject_key + "~simulated", state=EXITED)
                .execution_options(synchronize_session=False)
            )
        )
        if moved:
            return ["Their earlier enrollment on the same subject was set aside to run the flow again."]
        return []

    def play(self, setup: Setup, horizon: timedelta) -> list[Entry]:
        """Start the flow, play later events and step jobs in time order, and read back the timeline."""
        engine = FlowEngine(self.session, self.clock, self.scheduler, catalogue={self.flow.key: self.flow})
        self._event(engine, setup.start)
        key = enrollment_key(self.flow, setup.start)
        enrollment = self.session.scalars(
            select(Enrollment).filter_by(shop_id=self.shop.id, flow_key=self.flow.key, subject_key=key)
        ).first()
        if enrollment is None:
            why = self._why_not_enrolled(setup.start)
            self.entries.append(Entry(self.clock.now(), "skipped", self.flow.name, f"not enrolled: {why}"))
            return self.entries
        self._enrolled(enrollment)
        settings = flow_settings(self.session, self.shop.id, self.flow.key)
        runner = StepRunner(
            self.session,
            self.clock,
            self.scheduler,
            DryRunSender(self.session, self.clock, self.channel, self.config, self.platforms),
            ContactActions(self.session, self.clock),
        )
        later = sorted(setup.later, key=lambda happening: happening.at)
        until = setup.start.occurred_at + horizon
        for _ in range(MAX_RUNS):
            job = self.scheduler.take(enrollment.id)
            if later and (job is None or later[0].at <= job[1]):
                if job is not None:
                    self.scheduler.schedule(enrollment.id, *job)
                happening = later.pop(0)
                self._move_to(happening.at)
                self._event(engine, happening.happen(self.session))
                continue
            if job is None:
                break
            token, due = job
            if due > until:
                self.entries.append(
                    Entry(until, "waiting", self.flow.name, f"next step due {due:%Y-%m-%d %H:%M} UTC")
                )
                break
            self._run_step(runner, enrollment.id, token, due, settings)
        self._messages(enrollment.id)
        self._ending(enrollment.id)
        return sorted(self.entries, key=lambda entry: entry.at)

    def _event(self, engine: FlowEngine, event: TriggerEvent) -> None:
        self._move_to(event.occurred_at)
        engine.handle(event)
        self.session.commit()
        self.entries.append(Entry(event.occurred_at, "event", event.kind.value, event.subject_key))

    def _why_not_enrolled(self, event: TriggerEvent) -> str:
        """Ask the engine's own checks, in its order, which one kept the shopper out."""
        settings = flow_settings(self.session, self.shop.id, self.flow.key)
        context = run_entry(self.flow.entry, self.session, settings, event)
        if context is None:
            return "the flow's entry check left them out"
        key = enrollment_key(self.flow, event)
        if self.flow.guard and key is not None and event.contact_id is not None:
            now = self.clock.now()
            prospect = Prospect(event.shop_id, key, event.contact_id, event.occurred_at, now, context)
            reason = check_guard(self.flow.guard, self.session, prospect, now)
            if reason:
                return reason
        winning = self.session.scalars(
            select(Enrollment.flow_key).where(
                Enrollment.shop_id == self.shop.id,
                Enrollment.contact_id == event.contact_id,
                Enrollment.state == ACTIVE,
                Enrollment.flow_key.in_(self.flow.exit_on_entering),
            )
        ).first()
        if winning:
            return f"already in {winning}, which this flow gives way to"
        return "the engine declined (see the flow's rules)"

    def _enrolled(self, enrollment: Enrollment) -> None:
        detail = "held out: the flow runs its course but sends nothing" if enrollment.holdout else ""
        self.entries.append(Entry(enrollment.started_at, "enrolled", self.flow.name, detail))

    def _run_step(
        self, runner: StepRunner, enrollment_id: int, token: int, due: datetime, settings: ResolvedSettings
    ) -> None:
        self._move_to(due)
        before = self.session.get_one(Enrollment, enrollment_id).step_index
        runner.run(enrollment_id, token)
        enrollment = self.session.get_one(Enrollment, enrollment_id)
        passed = range(before, min(enrollment.step_index, len(self.flow.steps)))
        for index in passed:
            self._passed(enrollment, index, settings)

    def _passed(self, enrollment: Enrollment, index: int, settings: ResolvedSettings) -> None:
        """Say what became of a step the runner went past without a message row: why it was skipped."""
        step = self.flow.steps[index]
        if isinstance(step, Wait):
            return
        has_message = self.session.scalars(
            select(Message.id).filter_by(enrollment_id=enrollment.id, step_index=index)
        ).first()
        if has_message is not None:
            return
        now = self.clock.now()
        if not settings.step_enabled(step):
            self.entries.append(Entry(now, "skipped", step.label, "step switched off"))
        elif enrollment.holdout:
            self.entries.append(Entry(now, "skipped", step.label, "held out"))
        elif isinstance(step, Act):
            self.entries.append(Entry(now, "action", step.label, step.action))
        else:
            condition = settings.conditions[step.setting]
            self.entries.append(Entry(now, "skipped", step.label, f"condition does not hold: {condition}"))

    def _messages(self, enrollment_id: int) -> None:
        """Turn each message's recorded timeline into entries (sent, deferred, skipped, failed, notes)."""
        for message in self.session.scalars(
            select(Message).filter_by(enrollment_id=enrollment_id).order_by(Message.step_index)
        ):
            step = self.flow.steps[message.step_index]
            what = f"{step.label} [{message.channel}: {message.template}]"
            for item in message.timeline:
                kind = message_kind(item.get("status", ""), item.get("detail"))
                if kind is None:
                    continue
                detail = item.get("detail") or ""
                if kind == "sent":
                    detail = f"to {message.to_address}" + (
                        f", subject {message.subject!r}" if message.subject else ""
                    )
                self.entries.append(Entry(datetime.fromisoformat(item["at"]), kind, what, detail))

    def _ending(self, enrollment_id: int) -> None:
        enrollment = self.session.get_one(Enrollment, enrollment_id)
        at = enrollment.ended_at or self.clock.now()
        if enrollment.state == EXITED:
            self.entries.append(Entry(at, "exited", self.flow.name, enrollment.exit_reason or ""))
        elif enrollment.state == COMPLETED:
            self.entries.append(Entry(at, "completed", self.flow.name))
        elif enrollment.state == ACTIVE and not any(entry.kind == "waiting" for entry in self.entries):
            self.entries.append(Entry(at, "waiting", self.flow.name, "still in the flow"))

    def _move_to(self, instant: datetime) -> None:
        if instant > self.clock.now():
            self.clock.advance(instant - self.clock.now())
