"""The batched step executor: claim due enrollments by the hundred, send their messages together.

A worker's executor claims a batch of due enrollments in one statement (``claim_due``: ``FOR
UPDATE SKIP LOCKED``, so any number of workers share one database and never claim a row twice),
loads what the batch reads with set-based queries (app/messaging/preload.py), and runs each
enrollment's steps up to its provider call. Then, for the whole batch at once:

1. one commit makes every claim durable (each message ``sending``, its enrollment leased) before
   any provider is called, so a second worker or a restart never calls again;
2. the provider calls are made concurrently, on threads that touch no database;
3. every answer is recorded, and one commit makes them durable right after the calls;
4. each enrollment goes on to its next wait (or its next provider call: another round).

Exactly-once is what it is one at a time: a message is unique per (enrollment, step) and claimed
pending → sending before its call; one whose answer was lost is settled by asking the provider
(app/messaging/recovery.py). If anything in a batch raises, the batch rolls back to its last
commit, records the provider answers it had been given but not committed, and each enrollment not
yet finished runs on alone (``StepRunner.resume``): what was committed is never done twice, and one
poisoned enrollment never holds up the rest.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.clock import Clock
from app.core.errors import StoreflowError
from app.db.checkpoint import batch_commits
from app.db.enrollment_writes import write_step_state
from app.db.models import Enrollment
from app.db.reads import shared_reads
from app.messaging.preload import preload_batch
from flows.runner import ProviderCall, SendOutcome, StepRunner, Steps, changed_since_loaded, claim_due

log = logging.getLogger(__name__)

RECORD_TRIES = 6  # to record answers after a failed commit: 0.25 s, 0.5 s, … about 15 s in all
RECORD_BACKOFF = 0.25


class ChangedMeanwhileError(StoreflowError, RuntimeError):
    """An enrollment of the batch changed before its call: the batch runs on one at a time instead."""


class StepExecutor:
    """Claim and run batches of due steps through one session and one pool of provider threads."""

    def __init__(
        self,
        session: Session,
        clock: Clock,
        runner: Callable[[], StepRunner],
        batch_size: int,
        pool: ThreadPoolExecutor,
    ) -> None:
        self.session = session
        self.clock = clock
        self.runner = runner
        self.batch_size = batch_size
        self.pool = pool

    def run_due(self) -> Counter[str]:
        """Claim one batch of due enrollments and run it; return how each ended (empty: none due)."""
        runner = self.runner()
        ids = claim_due(self.session, self.clock.now(), runner.lease_end(), self.batch_size)
        self.session.commit()
        if not ids:
            return Counter()
        return self.run_batch(runner, ids)

    def run_batch(self, runner: StepRunner, ids: list[int]) -> Counter[str]:
        """Run claimed enrollments together; on any error fall back to running the rest alone."""
        done: set[int] = set()
        outcomes: Counter[str] = Counter()
        answered: dict[int, tuple[ProviderCall, object]] = {}
        try:
            with self._batch():
                self._run_together(runner, ids, done, outcomes, answered)
        except Exception:
            self.session.rollback()
            log.exception("a batch of %d step(s) failed; running the rest one at a time", len(ids))
            self._record_answers(answered)
            for enrollment_id in ids:
                if enrollment_id not in done:
                    outcomes[self._run_alone(runner, enrollment_id)] += 1
        return outcomes

    @contextmanager
    def _batch(self) -> Iterator[None]:
        """Commit at the batch's own points, share its reads, and keep its rows loaded across commits.

        The rows stay loaded because they are this batch's (claimed, their versions checked at each
        commit) or read-only for it (shops, settings); nothing flushes until the batch commits.
        """
        self.session.expire_on_commit = False
        try:
            with batch_commits(self.session), shared_reads(self.session), self.session.no_autoflush:
                yield
        finally:
            self.session.expire_on_commit = True

    def _run_together(
        self,
        runner: StepRunner,
        ids: list[int],
        done: set[int],
        outcomes: Counter[str],
        answered: dict[int, tuple[ProviderCall, object]],
    ) -> None:
        enrollments = self.session.scalars(
            select(Enrollment).where(Enrollment.id.in_(ids)).order_by(Enrollment.id)
        ).all()
        preload_batch(self.session, enrollments, self.clock.now())
        running: dict[int, Steps] = {}
        calls: dict[int, ProviderCall] = {}
        finished: dict[int, str] = {}
        for enrollment in enrollments:
            running[enrollment.id] = runner.steps(enrollment)
            self._advance(enrollment.id, running, None, calls, finished)
        by_id = {enrollment.id: enrollment for enrollment in enrollments}
        while calls:
            changed = changed_since_loaded(self.session, [by_id[key] for key in calls])
            if changed:
                raise ChangedMeanwhileError(f"enrollments {changed} changed since the batch loaded them")
            self._commit(finished, done, outcomes)  # every claim durable before any call
            answers = self._call_all(calls)
            answered.update({key: (call, answers[key]) for key, call in calls.items()})
            settled = {key: call.settle(answers[key]) for key, call in calls.items()}
            self._commit(finished, done, outcomes)  # every answer durable right after
            answered.clear()
            calls = {}
            for key, outcome in settled.items():
                self._advance(key, running, outcome, calls, finished)
        self._commit(finished, done, outcomes)

    @staticmethod
    def _advance(
        key: int,
        running: dict[int, Steps],
        outcome: SendOutcome | None,
        calls: dict[int, ProviderCall],
        finished: dict[int, str],
    ) -> None:
        steps = running[key]
        try:
            calls[key] = steps.send(outcome) if outcome is not None else next(steps)
        except StopIteration as stop:
            finished[key] = stop.value
            del running[key]

    def _commit(self, finished: dict[int, str], done: set[int], outcomes: Counter[str]) -> None:
        dirty = [row for row in self.session.dirty if isinstance(row, Enrollment)]
        stale = write_step_state(self.session, dirty)
        if stale:
            raise ChangedMeanwhileError(f"enrollments {stale} changed while their steps ran")
        self.session.commit()
        for key, outcome in finished.items():
            done.add(key)
            outcomes[outcome] += 1
        finished.clear()

    def _call_all(self, calls: dict[int, ProviderCall]) -> dict[int, object]:
        """Make the provider calls concurrently (one alone needs no thread)."""
        if len(calls) == 1:
            return {key: call.call() for key, call in calls.items()}
        futures = {key: self.pool.submit(call.call) for key, call in calls.items()}
        return {key: future.result() for key, future in futures.items()}

    def _record_answers(self, answered: dict[int, tuple[ProviderCall, object]]) -> None:
        """Record answers the providers gave whose batch could not commit them (the database blinked).

        Dropped, they would leave their messages ``sending`` for the lease and then to a lookup (or,
        where the provider cannot be asked, marked failed though the provider took them). Each is
        recorded on its own, the database given a few tries (RECORD_TRIES, backing off) to come back.
        """
        for call, answer in answered.values():
            for attempt in range(RECORD_TRIES):
                try:
                    if call.unsettled():
                        call.settle(answer)
                        self.session.commit()
                    break
                except SQLAlchemyError as exc:
                    self.session.rollback()
                    log.warning("could not record a provider's answer yet (try %d): %s", attempt + 1, exc)
                    time.sleep(RECORD_BACKOFF * 2**attempt)
                except Exception:
                    self.session.rollback()
                    log.exception("a provider's answer could not be recorded; its lease settles it")
                    break

    def _run_alone(self, runner: StepRunner, enrollment_id: int) -> str:
        try:
            return runner.resume(enrollment_id)
        except Exception:
            self.session.rollback()
            log.exception("enrollment %s failed; it runs again when its lease ends", enrollment_id)
            return "failed"


def drain_due(executor: StepExecutor) -> int:
    """Run batches until nothing is due; return how many enrollments ran (the demo and tests' clocks)."""
    total = 0
    while ran := sum(executor.run_due().values()):
        total += ran
    return total
