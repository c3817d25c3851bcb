"""The worker role keeps its children running (issue 14.8).

A real ``flask --app wsgi storeflow worker`` runs as a subprocess on the test database. Each of its
child processes is SIGKILLed in turn; each must be reaped (no zombie) and replaced, and the worker
must keep working: a job scheduled a second ahead still runs (RQ's scheduler moves it, the RQ
worker runs it) and a stored webhook is still relayed and processed. Then Redis itself goes away
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

from app.db.models import WebhookEvent
from tests.conftest import REDIS_URL
from tests.support.db import count
from tests.support.private_redis import private_redis
from tests.support.processes import is_zombie, live_children, process_env, worker_process
from tests.support.shopify import deliver
from tests.support.store import checkout_payload

pytestmark = pytest.mark.timeout(240)

WITHIN = 20.0  # seconds: a restart, a scheduler pass and a job, on a loaded machine


def eventually(condition: Callable[[], bool], seconds: float = WITHIN) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def a_scheduled_job_runs(redis_url: str, queue_name: str) -> bool:
    """Schedule a job a second ahead and tell whether it ran: the scheduler moved it, a worker ran it."""
    queue = Queue(queue_name, connection=Redis.from_url(redis_url))
    job = queue.enqueue_in(timedelta(seconds=1), "os.getpid")
    return eventually(lambda: job.get_status(refresh=True) == JobStatus.FINISHED)


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
    factory.shop()
    queue_name = app.extensions["storeflow"].config.rq_queue
    env = process_env(postgres_url, REDIS_URL, RELAY_INTERVAL_SECONDS="0.2", LOG_LEVEL="INFO")

    with worker_process(env, log=tmp_path / "worker.log") as worker:
        assert eventually(lambda: a_scheduled_job_runs(REDIS_URL, queue_name))  # started and working
        originals = live_children(worker.pid)
        assert originals
        for pid in originals:
            os.kill(pid, signal.SIGKILL)
            now_running = replaced(worker.pid, pid, len(originals))

            assert pid not in now_running and not is_zombie(pid), (pid, now_running)
            assert len(now_running) == len(originals), (pid, now_running)
            assert a_scheduled_job_runs(REDIS_URL, queue_name), f"no job ran after killing {pid}"
            assert a_webhook_is_relayed_and_processed(app, client, clock), f"no relay after killing {pid}"


def test_after_a_redis_outage_the_worker_schedules_relays_and_runs_again(
    app, client, clock, factory, postgres_url, tmp_path
):
    factory.shop()
    queue_name = app.extensions["storeflow"].config.rq_queue
    with private_redis() as redis:
        env = process_env(postgres_url, redis.url, RELAY_INTERVAL_SECONDS="0.2", LOG_LEVEL="INFO")
        with worker_process(env, log=tmp_path / "worker.log") as worker:
            assert eventually(lambda: a_scheduled_job_runs(redis.url, queue_name))
            children = len(live_children(worker.pid))

            redis.stop()
            time.sleep(4)  # every child that talks to Redis meets the outage
            redis.start()  # back, and empty

            assert a_scheduled_job_runs(redis.url, queue_name), (tmp_path / "worker.log").read_text()[-3000:]
            assert a_webhook_is_relayed_and_processed(app, client, clock)
            assert eventually(lambda: len(live_children(worker.pid)) == children)
