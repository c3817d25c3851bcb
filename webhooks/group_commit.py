"""Group commit: concurrent requests of one process share one write, each answered once it is durable.

A webhook is acknowledged only once its row is committed, so every delivery used to pay a statement
and a commit of its own; on a 2-core machine PostgreSQL's per-statement work and the round trip were
a large part of the endpoint's cost (bench/README.md). Here the serving threads of a process queue
their rows, and the thread that finds no write in flight leads: it takes every row queued (up to
``max_rows``; while rows come in together, after ``linger`` seconds of waiting for more), writes
them with one call of ``write`` (for the inbox, one multi-row INSERT, its own transaction), and only
once that call has returned answers each row's thread with its own outcome. The rows that arrived
meanwhile are led by the first of them, which the finishing leader wakes. A lone request so writes
its own row with no hand-off to another thread (a thread switch costs more CPU than the statement
saves), and under load a group holds about one row per busy thread.

``write`` answers for each row, in order, an outcome or an exception (that row was not written); an
exception out of ``write`` itself fails the whole group. ``submit`` raises ``NotWritten`` for a
failed row, for one still unanswered after ``wait_timeout`` (it may yet be written: the platform's
retry is then a duplicate), and after ``close``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from app.core.errors import StoreflowError

log = logging.getLogger(__name__)

Row = TypeVar("Row")
Outcome = TypeVar("Outcome")


class NotWritten(StoreflowError, RuntimeError):
    """The row's group was not written (or not in time); the caller should ask for it again later."""


@dataclass(eq=False)
class _Waiter(Generic[Row, Outcome]):
    """One submitted row, and the lock its thread blocks on until it is answered or made leader."""

    row: Row
    # A bare lock, taken at once and released exactly once (answered, or promoted to lead).
    released: threading.Lock = field(default_factory=threading.Lock)
    outcome: Outcome | BaseException | None = None
    leads: bool = False

    def __post_init__(self) -> None:
        self.released.acquire()


@dataclass
class _ProcessState(Generic[Row, Outcome]):
    """The queue of one process: a lock held by another thread at ``fork`` must not reach the child."""

    pid: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    queue: list[_Waiter[Row, Outcome]] = field(default_factory=list)
    # True while a leader owns the queue; whenever it is False, the queue is empty.
    writing: bool = False
    closed: bool = False
    # Rows in the last group written: more than one means requests are arriving together.
    last_group: int = 0


class GroupCommitter(Generic[Row, Outcome]):
    """Submit rows from many threads; they are written in groups, by one of the submitting threads."""

    def __init__(
        self,
        write: Callable[[Sequence[Row]], Sequence[Outcome | BaseException]],
        max_rows: int = 64,
        wait_timeout: float = 10.0,
        linger: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.write = write
        self.max_rows = max_rows
        self.wait_timeout = wait_timeout
        self.linger = linger
        self.sleep = sleep
        self._state: _ProcessState[Row, Outcome] = _ProcessState(os.getpid())

    def submit(self, row: Row) -> Outcome:
        """Queue the row, return once its group was written with its outcome, or raise NotWritten."""
        waiter: _Waiter[Row, Outcome] = _Waiter(row)
        state = self._here()
        with state.lock:
            if state.closed:
                raise NotWritten("closed")
            state.queue.append(waiter)
            waiter.leads = not state.writing
            state.writing = True
        if not waiter.leads:
            self._wait(state, waiter)
        if waiter.leads:
            self._lead(state, waiter)
        outcome = waiter.outcome
        if isinstance(outcome, BaseException):
            raise NotWritten(str(outcome)) from outcome
        return outcome  # type: ignore[return-value]  # a written row's outcome is never None

    def close(self) -> None:
        """Refuse further rows; wait (up to ``wait_timeout``) for the rows already queued."""
        state = self._here()
        with state.lock:
            state.closed = True
        deadline = time.monotonic() + self.wait_timeout
        while state.writing and time.monotonic() < deadline:
            time.sleep(0.005)

    def _here(self) -> _ProcessState[Row, Outcome]:
        """This process's queue: a child of ``fork`` starts an empty one of its own."""
        state = self._state
        if state.pid != os.getpid():
            state = self._state = _ProcessState(os.getpid(), closed=state.closed)
        return state

    def _wait(self, state: _ProcessState[Row, Outcome], waiter: _Waiter[Row, Outcome]) -> None:
        """Block until a leader answered the row or handed it the lead; give up after the timeout."""
        if waiter.released.acquire(timeout=self.wait_timeout):
            return
        with state.lock:
            if waiter.leads:  # promoted as the timeout ran out: the rows behind it need a leader
                return
            if waiter in state.queue:
                state.queue.remove(waiter)
        raise NotWritten(f"not written within {self.wait_timeout:g} s")

    def _lead(self, state: _ProcessState[Row, Outcome], leader: _Waiter[Row, Outcome]) -> None:
        """Write the rows queued (the leader's first among them), hand on the lead, answer each.

        While requests arrive together (the last group held more than one row) the leader first
        lets the others of its process catch up for ``linger`` seconds: the bigger group costs
        PostgreSQL less per row than the wait costs the requests. A lone request never waits.
        """
        if self.linger > 0 and state.last_group > 1:
            self.sleep(self.linger)
        with state.lock:
            group = state.queue[: self.max_rows]
            del state.queue[: self.max_rows]
            state.last_group = len(group)
        outcomes: Sequence[Outcome | BaseException] = [
            NotWritten("the writing thread was interrupted")
        ] * len(group)
        try:
            outcomes = self._write(group)
        finally:  # whatever happened, the rows behind need a leader and this group its answers
            self._hand_on(state)
            for waiter, outcome in zip(group, outcomes, strict=True):
                waiter.outcome = outcome
                if waiter is not leader:
                    waiter.released.release()

    def _hand_on(self, state: _ProcessState[Row, Outcome]) -> None:
        """Make the first row queued meanwhile the next leader, or leave the queue without one."""
        with state.lock:
            successor = state.queue[0] if state.queue else None
            if successor is None:
                state.writing = False
            else:
                successor.leads = True
        if successor is not None:
            successor.released.release()

    def _write(self, group: list[_Waiter[Row, Outcome]]) -> Sequence[Outcome | BaseException]:
        try:
            outcomes = self.write([waiter.row for waiter in group])
            if len(outcomes) != len(group):
                raise RuntimeError(f"{len(outcomes)} outcomes for {len(group)} rows")
        except Exception as exc:  # every waiter must be answered, and the lead handed on
            log.exception("group write of %d rows failed", len(group))
            return [exc] * len(group)
        return outcomes
