"""The worker role: an RQ worker with its scheduler, plus the relay loop in a sibling process."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from datetime import timedelta
from types import FrameType

from flask import Flask
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy.exc import SQLAlchemyError

from app.clock import Clock, utcnow
from app.extensions import db
from app.jobs.relay import enqueue_overdue_steps, relay_webhooks
from app.jobs.tasks import enqueue_activity
from app.reconcile.jobs import start_if_due as start_reconciliation
from app.services import Services, current_services
from app.storefront.buffer import EventBuffer, Limits
from app.storefront.drain import drain_events

log = logging.getLogger(__name__)


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
    """Move webhooks to the queue, storefront events to the database, and re-enqueue overdue steps."""
    with app.app_context():
        db.engine.dispose(close=False)  # never share the parent's connections after fork
        services = current_services()
        config = services.config
        interval = config.relay_interval_seconds
        grace = timedelta(seconds=config.sweep_grace_seconds)
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
                if time.monotonic() - last_sweep >= config.sweep_interval_seconds:
                    enqueue_overdue_steps(db.session(), services.queue, services.clock, grace)
                    start_reconciliation(services.redis, services.queue, utcnow())
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
    """Start the relay process, then work the queue (with RQ's scheduler) in this process."""
    context = multiprocessing.get_context("fork")
    relay = context.Process(target=relay_forever, args=(app,), name="storeflow-relay", daemon=True)
    relay.start()
    log.info("relay process %s started", relay.pid)

    def stop_relay(signum: int, frame: FrameType | None) -> None:
        if relay.is_alive() and relay.pid:
            os.kill(relay.pid, signal.SIGTERM)

    try:
        worker = make_worker(app)
        level = app.extensions["storeflow"].config.log_level
        worker.work(with_scheduler=True, burst=burst, logging_level=level)
    finally:
        stop_relay(signal.SIGTERM, None)
        relay.join(timeout=5)
