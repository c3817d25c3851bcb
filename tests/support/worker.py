"""Run queued jobs and due steps to completion in the test process, on a real Redis."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from app.core.clock import ManualClock
from app.db import db
from app.db.models import WebhookEvent
from app.jobs.relay import awaiting_processing, relay_webhooks
from app.jobs.services import Services
from app.jobs.steps import drain_due
from app.jobs.tasks import calendar_tick, step_executor
from app.jobs.worker import make_worker


class Harness:
    """Drive the real pipeline: relay → RQ queue → worker, and the batched step executor on a manual clock."""

    def __init__(self, app: Flask, clock: ManualClock) -> None:
        self.app = app
        self.clock = clock
        self.services: Services = app.extensions["storeflow"]

    def drain(self) -> None:
        """Relay stored webhooks, run every queued job and every due step, until nothing is left."""
        for _ in range(50):
            with self.app.app_context():
                relay_webhooks(db.session, self.services.queue, clock=self.clock)
                pending = db.session.scalars(
                    select(WebhookEvent.id).where(
                        awaiting_processing(self.clock), WebhookEvent.dispatched_at.is_(None)
                    )
                ).first()
                db.session.remove()
            queued = len(self.services.queue)
            if queued:
                make_worker(self.app).work(burst=True, max_jobs=10_000)
            with self.app.app_context(), ThreadPoolExecutor(4) as pool:
                ran = drain_due(step_executor(self.services, pool))
                db.session.remove()
            if not queued and pending is None and not ran:
                return
        raise AssertionError("the queue never drained")

    def advance(self, delta: timedelta) -> None:
        """Move flow time forward, tick the calendar as the worker would, and run what became due."""
        self.clock.advance(delta)
        self.services.queue.enqueue(calendar_tick)
        self.drain()

    def advance_to(self, instant: datetime) -> None:
        """Move flow time to an exact instant (steps due then run at that instant)."""
        self.advance(instant - self.clock.now())
