"""The enrollment row is the schedule; Redis only wakes an idle executor for steps due now."""

from __future__ import annotations

import time
from datetime import timedelta

from app.jobs.scheduling import WAKE_KEY, StepWake, wait_for_due


def test_a_step_due_now_wakes_an_executor(redis, clock):
    StepWake(redis, clock).schedule(7, 3, clock.now())

    assert redis.llen(WAKE_KEY) == 1


def test_a_step_due_later_wakes_nobody(redis, clock):
    StepWake(redis, clock).schedule(7, 3, clock.now() + timedelta(minutes=5))

    assert redis.llen(WAKE_KEY) == 0


def test_a_burst_of_due_steps_sends_one_wake_up(redis, clock):
    wake = StepWake(redis, clock)

    for enrollment_id in range(50):
        wake.schedule(enrollment_id, 1, clock.now())

    assert redis.llen(WAKE_KEY) == 1


def test_an_idle_executor_returns_as_soon_as_it_is_woken(redis, clock):
    StepWake(redis, clock).schedule(7, 3, clock.now())
    started = time.monotonic()

    wait_for_due(redis, timeout=5)

    assert time.monotonic() - started < 4
    assert redis.llen(WAKE_KEY) == 0
