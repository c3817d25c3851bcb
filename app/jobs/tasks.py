"""RQ job entry points. Jobs take ids and reload what they need; they run inside an app context."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rq import Queue

from app.calendar.tick import run_calendar
from app.core.errors import StoreflowError
from app.db import db
from app.jobs.event_batch import process_batch
from app.jobs.history_queue import wake
from app.jobs.live_cache import RedisLiveCache
from app.jobs.platforms import platforms_of
from app.jobs.processing import EventProcessor
from app.jobs.scheduling import StepWake
from app.jobs.services import Services, current_services
from app.jobs.steps import StepExecutor
from app.jobs.unit_of_work import unit_of_work
from app.messaging.actions import ContactActions
from app.messaging.sender import MessageSender
from app.reports.ab_tests import decide_winners
from app.reports.attribution import Windows
from app.storefront.activity import Activity, feed_activity
from flows.runner import StepRunner

log = logging.getLogger(__name__)


class EventBatchError(StoreflowError, RuntimeError):
    """Some events of a batch raised; each waits out its backoff, then the relay hands it out again."""


def _scheduler() -> StepWake:
    services = current_services()
    return StepWake(services.redis, services.clock)


def process_events(event_ids: list[int]) -> dict[int, str]:
    """Process a batch of stored webhooks in id order, in one unit of work; return each one's status.

    One event that raises does not stop the others: the batch is run again around it
    (app/jobs/event_batch.py), its failure is recorded (app/jobs/failures.py), and the job then
    fails with the ids, so RQ shows it too.
    """
    services = current_services()
    windows = Windows.from_config(services.config)
    processor = EventProcessor(
        db.session(),
        services.clock,
        _scheduler(),
        windows,
        history_ready=lambda shop_id: wake(db.session(), services.queue, shop_id),
    )
    result = process_batch(db.session(), processor, event_ids, services.clock)
    if result.failed:
        failed = result.failed
        raise EventBatchError(f"{len(failed)} of {len(event_ids)} webhook(s) failed: {failed}")
    return result.statuses


def step_runner(services: Services) -> StepRunner:
    """Build the runner of flow steps, with the deployment's channels, platforms and store checks."""
    sender = MessageSender(
        db.session(),
        services.clock,
        services.shop_channels,
        services.config,
        platforms_of(services),
        RedisLiveCache(services.redis),
    )
    actions = ContactActions(db.session(), services.clock)
    return StepRunner(db.session(), services.clock, StepWake(services.redis, services.clock), sender, actions)


def step_executor(services: Services, pool: ThreadPoolExecutor) -> StepExecutor:
    """Build the batched step executor (app/jobs/steps.py) on this app context's session."""
    batch_size = services.config.step_batch_size
    return StepExecutor(db.session(), services.clock, lambda: step_runner(services), batch_size, pool)


def run_step(enrollment_id: int, run_token: int) -> str:
    """Run the due steps of one enrollment, alone.

    Steps run in batches (app/jobs/steps.py); this job is kept so that step jobs queued by a release
    before the batched executor still run after an upgrade, each one as it always did.
    """
    outcome = step_runner(current_services()).run(enrollment_id, run_token)
    log.debug("step job for enrollment %s: %s", enrollment_id, outcome)
    return outcome


def process_storefront_activity(activities: list[dict[str, Any]]) -> int:
    """Let the flows react to what known shoppers did on the storefront; return how many activities."""
    services = current_services()
    with unit_of_work(db.session(), services.clock, _scheduler()) as work:
        for data in activities:
            feed_activity(db.session(), work.engine, Activity.from_job(data))
    return len(activities)


def calendar_tick() -> dict[str, int]:
    """Start what the calendar says is due: dates, lapsed and unengaged shoppers, alert batches;
    then declare the A/B winners whose figures now pass their rule (a few grouped queries per test)."""
    services = current_services()
    now = services.clock.now()
    with unit_of_work(db.session(), services.clock, _scheduler()) as work:
        counts = run_calendar(db.session(), work.engine, now)
    if decide_winners(db.session(), now):
        db.session.commit()
    if any(counts.values()):
        log.info("calendar tick at %s: %s", now.isoformat(), counts)
    return counts


def enqueue_activity(queue: Queue) -> Callable[[list[Activity]], None]:
    """Return the drain's reporter: one job per stored batch of storefront activity."""

    def report(activities: list[Activity]) -> None:
        queue.enqueue(process_storefront_activity, [activity.as_job() for activity in activities])

    return report
