"""Group commit: concurrent requests of one process share one write, each answered once it is durable.

A webhook is acknowledged only once its row is committed, so every delivery used to pay a statement
and a commit of its own; on a 2-core machine PostgreSQL's per-statement work and the round trip were
most of the endpoint's cost (bench/README.md). Here the serving threads hand their rows to one
committer thread per process and wait; the committer takes every row waiting (up to ``max_rows``),
writes them with one call of ``write`` (for the inbox, one multi-row INSERT, its own transaction),
and only when that call has returned wakes each waiter with its row's outcome. There is no timer:
the rows that arrive while one write is in flight form the next group, so a lone request waits for
nothing but its own write, and under load a group holds about one row per busy thread.

``write`` answers for each row, in order, an outcome or an exception (that row was not written); an
exception out of ``write`` itself fails the whole group. A waiter raises ``NotWritten`` for a
failed row, for a group that took longer than ``wait_timeout`` (the row may still be written; the
platform's retry is then a duplicate), and after ``close``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Row = TypeVar("Row")
Outcome = TypeVar("Outcome")


class NotWritten(RuntimeError):
    """The row's group was not written (or not in time); the caller should ask for it again later."""


@dataclass
class _Waiter(Generic[Row, Outcome]):
    """One submitted row and the lock its thread blocks on until the committer releases it."""

    row: Row
    # A bare lock, taken at once and released by the committer: the cheapest one-shot signal.
    released: threading.Lock = field(default_factory=threading.Lock)
    outcome: Outcome | BaseException | None = None

    def __post_init__(self) -> None:
        self.released.acquire()

    def answer(self, outcome: Outcome | BaseException) -> None:
        self.outcome = outcome
        self.released.release()


@dataclass
class _ProcessState(Generic[Row, Outcome]):
    """What belongs to one process: a thread does not survive ``fork``, nor may a lock held at it."""

    pid: int
    wake: threading.Condition = field(default_factory=threading.Condition)
    queue: list[_Waiter[Row, Outcome]] = field(default_factory=list)
    thread: threading.Thread | None = None
    closed: bool = False


class GroupCommitter(Generic[Row, Outcome]):
    """Submit rows from many threads; one thread per process writes them in groups."""

    def __init__(
        self,
        write: Callable[[Sequence[Row]], Sequence[Outcome | BaseException]],
        max_rows: int = 64,
        wait_timeout: float = 10.0,
        name: str = "group-commit",
    ) -> None:
        self.write = write
        self.max_rows = max_rows
        self.wait_timeout = wait_timeout
        self.name = name
        self._start = threading.Lock()
        self._state: _ProcessState[Row, Outcome] = _ProcessState(os.getpid())
        self._closed = False

    def submit(self, row: Row) -> Outcome:
        """Queue the row, block until its group was written, and return its outcome."""
        waiter: _Waiter[Row, Outcome] = _Waiter(row)
        state = self._running()
        with state.wake:
            if state.closed:
                raise NotWritten("closed")
            state.queue.append(waiter)
            state.wake.notify()
        if not waiter.released.acquire(timeout=self.wait_timeout):
            raise NotWritten(f"not written within {self.wait_timeout:g} s")
        outcome = waiter.outcome
        if isinstance(outcome, BaseException):
            raise NotWritten(str(outcome)) from outcome
        return outcome  # type: ignore[return-value]  # a written row's outcome is never None

    def close(self) -> None:
        """Write what is queued, stop this process's committer and refuse further rows."""
        with self._start:
            self._closed = True
            state = self._state
        with state.wake:
            state.closed = True
            state.wake.notify()
        if state.thread is not None and state.pid == os.getpid():
            state.thread.join(timeout=self.wait_timeout)

    def _running(self) -> _ProcessState[Row, Outcome]:
        """Return this process's state, its committer started (first use, or first use after a fork)."""
        state = self._state
        if state.thread is not None and state.pid == os.getpid():
            return state
        with self._start:
            state = self._state
            if state.pid != os.getpid():
                state = self._state = _ProcessState(os.getpid())
            if state.thread is None and not self._closed:
                state.thread = threading.Thread(
                    target=self._commit, args=(state,), name=self.name, daemon=True
                )
                state.thread.start()
            state.closed = state.closed or self._closed
        return state

    def _commit(self, state: _ProcessState[Row, Outcome]) -> None:
        """The committer: take every row waiting, write them at once, answer each; until closed."""
        while True:
            with state.wake:
                while not state.queue and not state.closed:
                    state.wake.wait()
                if not state.queue:
                    return
                group = state.queue[: self.max_rows]
                del state.queue[: self.max_rows]
            self._write(group)

    def _write(self, group: list[_Waiter[Row, Outcome]]) -> None:
        outcomes: Sequence[Outcome | BaseException]
        try:
            outcomes = self.write([waiter.row for waiter in group])
            if len(outcomes) != len(group):
                raise RuntimeError(f"{len(outcomes)} outcomes for {len(group)} rows")
        except Exception as exc:  # the committer must outlive any failure, and answer every waiter
            log.exception("group write of %d rows failed", len(group))
            outcomes = [exc] * len(group)
        for waiter, outcome in zip(group, outcomes, strict=True):
            waiter.answer(outcome)
