"""Wake an idle step executor when a step falls due now; the enrollment row says when it is due.

The database is the schedule: every active enrollment's ``next_run_at`` says when its next step is
due, and each worker's executor (app/jobs/steps.py) claims what is due, polling every
``STEP_POLL_SECONDS``. A step due at once (a thank-you with no wait, a retry, a shopper who just
qualified) need not wait for the poll: the unit of work that decided it pushes a wake-up on a Redis
list, and an executor blocked on that list starts at once. Losing a wake-up (Redis down) costs only
the poll interval.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from redis import Redis
from redis.exceptions import RedisError

from app.core.clock import Clock

log = logging.getLogger(__name__)

WAKE_KEY = "storeflow:steps:wake"
WAKE_BACKLOG = 16  # wake-ups kept for executors that are busy; one is enough to start a batch
WAKE_EVERY = 0.02  # seconds: one wake-up per burst of decisions, not one per enrollment


class StepWake:
    """The flows' ``StepScheduler`` in production: wake an executor for steps due now."""

    def __init__(self, redis: Redis, clock: Clock) -> None:
        self.redis = redis
        self.clock = clock
        self._woke_at = float("-inf")

    def schedule(self, enrollment_id: int, run_token: int, due: datetime) -> None:
        if due > self.clock.now() or time.monotonic() - self._woke_at < WAKE_EVERY:
            return
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.lpush(WAKE_KEY, enrollment_id)
                pipe.ltrim(WAKE_KEY, 0, WAKE_BACKLOG - 1)
                pipe.execute()
            self._woke_at = time.monotonic()
        except RedisError as exc:
            log.info("could not wake a step executor (its next poll finds the step): %s", exc)


def wait_for_due(redis: Redis, timeout: float) -> None:
    """Block until a wake-up arrives or ``timeout`` seconds pass (Redis down: just sleep)."""
    try:
        redis.blpop([WAKE_KEY], timeout=timeout)
    except RedisError:
        time.sleep(timeout)
