"""Schedule step jobs on RQ, in wall-clock time converted from flow time."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job

from app.core.clock import Clock

log = logging.getLogger(__name__)


def step_job_id(enrollment_id: int, run_token: int) -> str:
    """Name a step job so scheduling the same step twice updates one job instead of adding two."""
    return f"step-{enrollment_id}-{run_token}"


def next_whole_second(instant: datetime) -> datetime:
    """Round up to a whole second: RQ scores scheduled jobs in whole seconds, rounding down, so a job
    due at 12:00:00.7 would be released at 12:00:00, find itself early and wait a scheduler tick more."""
    if instant.microsecond == 0:
        return instant
    return instant.replace(microsecond=0) + timedelta(seconds=1)


class RQStepScheduler:
    """Put step jobs on RQ: now if due, else with ``enqueue_at`` for RQ's scheduler to release.

    Redis is not the source of truth: the enrollment row holds ``next_run_at``, and the sweeper
    re-enqueues overdue steps, so a failed enqueue (Redis down) is logged and recovered later.
    """

    def __init__(self, queue: Queue, clock: Clock) -> None:
        self.queue = queue
        self.clock = clock

    def schedule(self, enrollment_id: int, run_token: int, due: datetime) -> None:
        from app.jobs.tasks import run_step

        job_id = step_job_id(enrollment_id, run_token)
        try:
            if due <= self.clock.now():
                self.queue.enqueue(run_step, enrollment_id, run_token, job_id=job_id)
            else:
                release = next_whole_second(self.clock.to_real(due))
                self.queue.enqueue_at(release, run_step, enrollment_id, run_token, job_id=job_id)
        except RedisError as exc:
            log.warning("could not schedule %s (the sweeper will): %s", job_id, exc)


def release_scheduled(queue: Queue, until: datetime) -> None:
    """Do what RQ's scheduler does once ``until`` has passed: queue every job scheduled up to it.

    For virtual clocks (the demo, the tests' harness), which RQ's own scheduler, on real time,
    would not follow.
    """
    registry = queue.scheduled_job_registry
    for job_id in registry.get_jobs_to_schedule(int(until.timestamp())):
        job = Job.fetch(job_id, connection=queue.connection)
        registry.remove(job)
        queue.enqueue_job(job)
