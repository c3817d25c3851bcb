"""Is the deployment working: PostgreSQL, Redis, a live worker, and due steps running on time.

``/healthz?deep=1`` and ``flask storeflow status`` ask the same questions here. Each check catches
its own failure and reports it, so a health check never fails with the thing it checks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.defaults import DEFAULT_WORKER_TTL
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.reports.operations import Operations, read_operations

log = logging.getLogger(__name__)

# An idle RQ worker renews its heartbeat once per blocking dequeue (its TTL less 15 s), and its key
# expires 60 s after the TTL: a heartbeat older than that is a worker that stopped.
HEARTBEAT_MAX_AGE = timedelta(seconds=DEFAULT_WORKER_TTL + 60)
# A step this late means the workers' step executors are not keeping up (or none runs); an idle
# executor looks every STEP_POLL_SECONDS (0.25 s), well inside it.
DUE_LAG_LIMIT = timedelta(minutes=5)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class WorkerBeat:
    name: str
    state: str
    last_heartbeat: datetime | None


def check_database(session: Session) -> Check:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        session.rollback()
        return Check("database", False, _reason(exc))
    return Check("database", True, "ok")


def check_redis(redis: Redis) -> Check:
    try:
        redis.ping()
    except RedisError as exc:
        return Check("redis", False, _reason(exc))
    return Check("redis", True, "ok")


def worker_beats(redis: Redis) -> list[WorkerBeat]:
    """The RQ workers registered in Redis, with the last heartbeat each wrote."""
    return [
        WorkerBeat(worker.name, str(worker.get_state()), worker.last_heartbeat)
        for worker in Worker.all(connection=redis)
    ]


def check_workers(beats: list[WorkerBeat], now: datetime) -> Check:
    """Pass when at least one worker's heartbeat is recent (``now`` is wall-clock time)."""
    live = [beat for beat in beats if beat.last_heartbeat and now - beat.last_heartbeat <= HEARTBEAT_MAX_AGE]
    if live:
        return Check("workers", True, f"{len(live)} with a recent heartbeat")
    if beats:
        return Check("workers", False, f"no heartbeat in {HEARTBEAT_MAX_AGE.total_seconds():.0f} s")
    return Check("workers", False, "no worker registered")


def check_due_lag(reading: Operations) -> Check:
    lag = reading.due_lag.total_seconds()
    detail = f"{lag:.0f} s ({reading.overdue_steps} overdue step(s))"
    return Check("due_lag", reading.due_lag <= DUE_LAG_LIMIT, detail)


@dataclass(frozen=True)
class Health:
    """Every check, with what the operator needs to see next to them."""

    checks: list[Check]
    reading: Operations | None
    workers: list[WorkerBeat]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def assess(session: Session, redis: Redis, flow_now: datetime, wall_now: datetime) -> Health:
    """Run every check; one that cannot run (its store is down) is a failing check, never an error."""
    checks = [check_database(session)]
    reading: Operations | None = None
    if checks[0].ok:
        try:
            reading = read_operations(session, flow_now)
        except SQLAlchemyError as exc:
            session.rollback()
            checks.append(Check("due_lag", False, _reason(exc)))
        else:
            checks.append(check_due_lag(reading))
    else:
        checks.append(Check("due_lag", False, "database unavailable"))
    checks.append(check_redis(redis))
    beats: list[WorkerBeat] = []
    if checks[-1].ok:
        try:
            beats = worker_beats(redis)
        except RedisError as exc:
            checks.append(Check("workers", False, _reason(exc)))
        else:
            checks.append(check_workers(beats, wall_now))
    else:
        checks.append(Check("workers", False, "redis unavailable"))
    return Health(checks, reading, beats)


@dataclass(frozen=True)
class QueueFigures:
    name: str
    queued: int
    scheduled: int
    failed: int


def queue_figures(queue: Queue) -> QueueFigures:
    return QueueFigures(
        queue.name, queue.count, queue.scheduled_job_registry.count, queue.failed_job_registry.count
    )


def _reason(exc: Exception) -> str:
    """Name the failure's kind only: the health check is public, and a driver's message names hosts."""
    log.warning("health check failed: %s", exc)
    return f"{type(exc).__name__}"
