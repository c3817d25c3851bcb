"""The worker role keeps its children running (issue 14.8).

A real ``flask --app wsgi storeflow worker`` runs as a subprocess on the test database. Each of its
child processes is SIGKILLed in turn; each must be reaped (no zombie) and replaced, and the worker
must keep working: a queued job still runs (the RQ worker), a step falling due still runs (the
step executor) and a stored webhook is still relayed and processed. Then Redis itself goes away
(a private redis-server, stopped and started again empty): the same must hold once it is back.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from rq.job import JobStatus
from sqlalchemy import select

from app.core.clock import utcnow
from app.db import db
from app.db.models import Enrollment, Shop, WebhookEvent
from tests.conftest import REDIS_URL
from tests.support.db import count
from tests.support.private_redis import private_redis
from tests.support.processes import is_zombie, live_children, process_env, worker_process
from tests.support.shopify import deliver
from tests.support.store import checkout_payload

pytestmark = pytest.mark.timeout(240)

WITHIN = 20.0  # seconds: a restart, a poll and a job, on a loaded machine


def eventually(condition: Callable[[], bool], seconds: float = WITHIN) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def a_job_and_a_due_step_run(app, factory, shop: Shop, redis_url: str, queue_name: str) -> bool:
    """Queue a job and make a step fall due; tell whether the RQ worker and the step executor ran them."""
    queue = Queue(queue_name, connection=Redis.from_url(redis_url))
    job = queue.enqueue("os.getpid")
    step = a_step_due_now(factory, shop)
    ran = eventually(lambda: job.get_status(refresh=True) == JobStatus.FINISHED)
    return ran and eventually(lambda: step_ran(app, step))


def a_step_due_now(factory, shop: Shop) -> int:
    """An enrollment waiting in the abandoned-checkout flow whose wait ends now (real time)."""
    contact = factory.contact(shop, email=f"{uuid.uuid4().hex[:8]}@supervised.example")
    now = utcnow()
    enrollment = Enrollment(
        shop_id=shop.id,
        flow_key="abandoned_checkout",
        subject_key=f"checkout:supervised-{uuid.uuid4().hex[:8]}",
        contact_id=contact.id,
        anchor_at=now,
        next_run_at=now - timedelta(seconds=1),
        last_activity_at=now,
        started_at=now,
    )
    factory.session.add(enrollment)
    factory.session.commit()
    return enrollment.id


def step_ran(app, enrollment_id: int) -> bool:
    """The executor claimed the enrollment and planned its wait (its next run moved past now)."""
    with app.app_context():
        due = db.session.scalar(select(Enrollment.next_run_at).where(Enrollment.id == enrollment_id))
        db.session.remove()
    return due is not None and due > utcnow()


def a_webhook_is_relayed_and_processed(app, client, clock) -> bool:
    token = f"supervised-{uuid.uuid4().hex[:8]}"
    response = deliver(client, "checkouts/create", checkout_payload(clock, token=token))
    assert response.status_code == 200
    stored = count(app, WebhookEvent)
    return eventually(lambda: count(app, WebhookEvent, status="processed") == stored)


def replaced(worker_pid: int, killed: int, children: int) -> list[int]:
    """Wait until the killed child is reaped and the worker has its usual number of children again."""

    def done() -> bool:
        running = live_children(worker_pid)
        return killed not in running and not is_zombie(killed) and len(running) == children

    eventually(done)
    return live_children(worker_pid)


def test_every_child_of_the_worker_killed_is_replaced_and_the_worker_keeps_working(
    app, client, clock, factory, postgres_url, tmp_path
):
    shop = factory.shop()
    queue_name = app.extensions["storeflow"].config.rq_queue
    env = process_env(postgres_url, REDIS_URL, RELAY_INTERVAL_SECONDS="0.2", LOG_LEVEL="INFO")

    def works() -> bool:
        return a_job_and_a_due_step_run(app, factory, shop, REDIS_URL, queue_name)

    with worker_process(env, log=tmp_path / "worker.log") as worker:
        assert works()  # started and working
        originals = live_children(worker.pid)
        assert originals
        for pid in originals:
            os.kill(pid, signal.SIGKILL)
            now_running = replaced(worker.pid, pid, len(originals))

            assert pid not in now_running and not is_zombie(pid), (pid, now_running)
            assert len(now_running) == len(originals), (pid, now_running)
            assert works(), f"no job or step ran after killing {pid}"
            assert a_webhook_is_relayed_and_processed(app, client, clock), f"no relay after killing {pid}"


def test_after_a_redis_outage_the_worker_runs_steps_relays_and_runs_jobs_again(
    app, client, clock, factory, postgres_url, tmp_path
):
    shop = factory.shop()
    queue_name = app.extensions["storeflow"].config.rq_queue
    with private_redis() as redis:
        env = process_env(postgres_url, redis.url, RELAY_INTERVAL_SECONDS="0.2", LOG_LEVEL="INFO")
        with worker_process(env, log=tmp_path / "worker.log") as worker:
            assert a_job_and_a_due_step_run(app, factory, shop, redis.url, queue_name)
            children = len(live_children(worker.pid))

            redis.stop()
            time.sleep(4)  # every child that talks to Redis meets the outage
            redis.start()  # back, and empty

            assert a_job_and_a_due_step_run(app, factory, shop, redis.url, queue_name), (
                tmp_path / "worker.log"
            ).read_text()[-3000:]
            assert a_webhook_is_relayed_and_processed(app, client, clock)
            assert eventually(lambda: len(live_children(worker.pid)) == children)
