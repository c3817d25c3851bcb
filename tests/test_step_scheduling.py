"""Steps are handed to RQ's scheduler so that it never releases them before they are due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.jobs.scheduling import RQStepScheduler, next_whole_second, step_job_id


def test_a_step_due_mid_second_is_scored_at_the_next_whole_second(app, clock):
    # RQ scores scheduled jobs in whole seconds, rounding down: 12:00:00.7 would be released at
    # 12:00:00, run early, and wait another scheduler tick
    queue = app.extensions["storeflow"].queue
    due = clock.now() + timedelta(hours=1, milliseconds=700)

    RQStepScheduler(queue, clock).schedule(7, 3, due)

    score = queue.scheduled_job_registry.get_scheduled_time(step_job_id(7, 3))
    assert score == next_whole_second(due) == (due + timedelta(milliseconds=300))
    assert score >= due


def test_a_whole_second_stays_as_it_is():
    instant = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)

    assert next_whole_second(instant) == instant
