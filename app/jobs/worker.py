"""The worker role: a supervisor process keeping an RQ worker, the step executor and the relay running."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.context
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from multiprocessing.process import BaseProcess
from types import FrameType

from flask import Flask
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy.exc import SQLAlchemyError

from app.core.clock import Clock, utcnow
from app.db import db
from app.jobs.event_buffer import EventBuffer
from app.jobs.history_queue import resume_due as resume_history_syncs
from app.jobs.reconcile import start_if_due as start_reconciliation
from app.jobs.relay import relay_webhooks
from app.jobs.scheduling import wait_for_due
from app.jobs.services import Services, current_services
from app.jobs.steps import drain_due
from app.jobs.storefront_drain import drain_events
from app.jobs.tasks import enqueue_activity, step_executor
from app.storefront.buffer import Limits

log = logging.getLogger(__name__)

SUPERVISE_INTERVAL = 0.5  # how often the supervisor looks at its children
STEADY_UPTIME = 10.0  # a child that ran this long before exiting is restarted at once
RESTART_BACKOFF_MIN = 0.5
RESTART_BACKOFF_MAX = 5.0
STOP_GRACE_SECONDS = 25.0  # Heroku sends SIGKILL 30 s after SIGTERM; a job in flight may finish
RECONCILE_CHECK_SECONDS = 5.0  # how often a relay asks whether the reconciliation is due


class FlaskWorker(SimpleWorker):
    """Run each job in its own app context, so each gets a fresh database session.

    Jobs run in the worker process (no fork per job): connections are pooled across jobs, which
    is what lets a worker keep up with webhook bursts. Work is protected by the database, not the
    process: a worker killed mid-job leaves rows the relay and sweeper hand out again.
    """

    flask_app: Flask

    def execute_job(self, job: Job, queue: Queue) -> None:
        with self.flask_app.app_context():
            super().execute_job(job, queue)


def make_worker(app: Flask, queues: list[Queue] | None = None) -> FlaskWorker:
    """Build a worker bound to the app's queue (or the given ones)."""
    services = app.extensions["storeflow"]
    worker = FlaskWorker(queues or [services.queue], connection=services.redis)
    worker.flask_app = app
    return worker


def relay_forever(app: Flask, stop_after: float | None = None) -> None:
    """Move webhooks to the queue and storefront events to the database; start what is due by the clock."""
    with app.app_context():
        db.engine.dispose(close=False)  # never share the parent's connections after fork
        services = current_services()
        config = services.config
        interval = config.relay_interval_seconds
        started = last_sweep = time.monotonic()
        last_tick = 0.0
        events = storefront_buffer(services)
        while stop_after is None or time.monotonic() - started < stop_after:
            try:
                relay_webhooks(db.session(), services.queue, clock=services.clock)
                drain_events(db.session(), events, config.secret_key, report=enqueue_activity(services.queue))
                if time.monotonic() - last_tick >= config.calendar_interval_seconds:
                    enqueue_calendar_tick(services.queue, services.clock)
                    last_tick = time.monotonic()
                if time.monotonic() - last_sweep >= RECONCILE_CHECK_SECONDS:
                    start_reconciliation(services.redis, services.queue, utcnow())
                    resume_history_syncs(db.session(), services.queue, services.clock.now())
                    last_sweep = time.monotonic()
            except (RedisError, SQLAlchemyError) as exc:
                db.session.rollback()
                log.warning("relay paused, will retry: %s", exc)
                time.sleep(min(5.0, interval * 10))
            finally:
                db.session.remove()
            time.sleep(interval)


def enqueue_calendar_tick(queue: Queue, clock: Clock) -> None:
    """Queue the calendar's tick, once per flow-time minute however many relays ask."""
    from app.jobs.tasks import calendar_tick

    minute = clock.now().strftime("%Y%m%d%H%M")
    queue.enqueue(calendar_tick, job_id=f"calendar-{minute}")


def storefront_buffer(services: Services) -> EventBuffer:
    """Return the queue of storefront posts, as the events endpoint fills it."""
    config = services.config
    limits = Limits(config.storefront_visitor_events_per_minute, config.storefront_shop_events_per_minute)
    return EventBuffer(services.redis, limits)


def run_worker(app: Flask, burst: bool = False) -> None:
    """Run the worker role: supervise the RQ worker, the step executor and the relay, each its own process.

    ``--burst`` instead works the queue once in this process, then the steps due, while a relay runs
    beside it, and stops when both are empty.
    """
    if burst:
        _run_burst(app)
        return
    supervisor = Supervisor(
        [
            Child("rq-worker", partial(work_queue, app)),
            Child("steps", partial(execute_steps, app)),
            Child("relay", partial(relay_forever, app)),
        ]
    )
    supervisor.run()


def execute_steps(app: Flask, stop_after: float | None = None) -> None:
    """Claim and run due steps in batches (app/jobs/steps.py) until told to stop.

    SIGTERM lets the batch in flight finish (its calls are made; its answers recorded), then stops.
    """
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    with app.app_context():
        db.engine.dispose(close=False)  # never share the supervisor's connections after fork
        services = current_services()
        config = services.config
        started = time.monotonic()
        with ThreadPoolExecutor(config.send_concurrency, thread_name_prefix="send") as pool:
            while not stopping and (stop_after is None or time.monotonic() - started < stop_after):
                ran = 0
                try:
                    ran = sum(step_executor(services, pool).run_due().values())
                except (RedisError, SQLAlchemyError) as exc:
                    db.session.rollback()
                    log.warning("step executor paused, will retry: %s", exc)
                    time.sleep(1.0)
                finally:
                    db.session.remove()
                if ran < config.step_batch_size and not stopping:
                    wait_for_due(services.redis, config.step_poll_seconds)


def work_queue(app: Flask) -> None:
    """Work the queue until told to stop (the RQ worker's own SIGTERM handling: warm shutdown)."""
    db.engine.dispose(close=False)  # never share the supervisor's connections after fork
    level = app.extensions["storeflow"].config.log_level
    make_worker(app).work(with_scheduler=False, logging_level=level)


class Child:
    """One supervised process: a name for the logs, what it runs, and its current process."""

    def __init__(self, name: str, target: Callable[[], None]) -> None:
        self.name = name
        self.target = target
        self.process: BaseProcess | None = None
        self.started_at = 0.0
        self.backoff = RESTART_BACKOFF_MIN
        self.restart_at: float | None = None

    def start(self, context: multiprocessing.context.ForkContext) -> None:
        self.process = context.Process(target=_child_main, args=(self.target,), name=f"storeflow-{self.name}")
        self.process.daemon = True
        self.process.start()
        self.started_at = time.monotonic()
        log.info("%s process %s started", self.name, self.process.pid)

    def exited(self) -> None:
        """Clean up after a process that died (the supervisor restarts it next)."""


class Supervisor:
    """Start every child, restart any that exits, and stop them all on SIGTERM or SIGINT.

    A child that dies soon after starting (Redis still down, say) is restarted after a backoff that
    doubles up to RESTART_BACKOFF_MAX; one that ran for a while is restarted at once.
    """

    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self.context = multiprocessing.get_context("fork")
        self.stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for child in self.children:
            child.start(self.context)
        try:
            while not self.stopping:
                for child in self.children:
                    self._look_after(child)
                time.sleep(SUPERVISE_INTERVAL)
        finally:
            self._stop_children()

    def _look_after(self, child: Child) -> None:
        process = child.process
        if process is None or process.is_alive():  # is_alive() also reaps a child that died
            return
        now = time.monotonic()
        if child.restart_at is None:
            if now - child.started_at >= STEADY_UPTIME:
                child.backoff, delay = RESTART_BACKOFF_MIN, 0.0
            else:
                delay, child.backoff = child.backoff, min(child.backoff * 2, RESTART_BACKOFF_MAX)
            log.warning(
                "%s process %s exited (%s); restarting in %.1f s",
                child.name,
                process.pid,
                process.exitcode,
                delay,
            )
            child.exited()
            child.restart_at = now + delay
        if now >= child.restart_at:
            child.restart_at = None
            child.start(self.context)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _stop_children(self) -> None:
        running = [c.process for c in self.children if c.process is not None and c.process.is_alive()]
        for process in running:
            if process.pid:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()


def _child_main(target: Callable[[], None]) -> None:
    """Run a child with the default signal handling, not the supervisor's (it installs its own)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    target()


def _run_burst(app: Flask) -> None:
    context = multiprocessing.get_context("fork")
    relay = context.Process(target=relay_forever, args=(app,), name="storeflow-relay", daemon=True)
    relay.start()
    try:
        services = app.extensions["storeflow"]
        make_worker(app).work(burst=True, logging_level=services.config.log_level)
        with app.app_context(), ThreadPoolExecutor(services.config.send_concurrency) as pool:
            drain_due(step_executor(services, pool))
    finally:
        if relay.is_alive() and relay.pid:
            os.kill(relay.pid, signal.SIGTERM)
        relay.join(timeout=5)
