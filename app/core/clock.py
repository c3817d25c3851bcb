"""Clocks: where "now" comes from, so tests and the demo can move time without sleeping.

Flow time is what the engine reasons in (waits, due steps). Real time is what RQ's scheduler
understands. A compressed clock runs flow time faster than real time, which lets the demo play a
24-hour abandoned-checkout sequence in seconds; ``to_real`` converts a flow-time instant back so RQ
releases the job at the right wall-clock moment.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


def utcnow() -> datetime:
    """Return the current wall-clock time as an aware UTC datetime."""
    return datetime.now(UTC)


class Clock(Protocol):
    speedup: float

    def now(self) -> datetime: ...

    def to_real(self, instant: datetime) -> datetime: ...


class SystemClock:
    """Flow time equals wall-clock time (production)."""

    speedup = 1.0

    def now(self) -> datetime:
        return utcnow()

    def to_real(self, instant: datetime) -> datetime:
        return instant


class CompressedClock:
    """Flow time advances ``speedup`` times faster than wall-clock time from a shared epoch.

    Every process given the same epoch and speedup agrees on flow time, so the web process that
    enrolls and the worker that sends see the same "now".
    """

    def __init__(self, speedup: float, epoch: float | None = None) -> None:
        if speedup <= 0:
            raise ValueError(f"speedup must be positive, got {speedup}")
        self.speedup = speedup
        self.epoch = time.time() if epoch is None else epoch
        self._epoch_dt = datetime.fromtimestamp(self.epoch, UTC)

    def now(self) -> datetime:
        elapsed = time.time() - self.epoch
        return self._epoch_dt + timedelta(seconds=elapsed * self.speedup)

    def to_real(self, instant: datetime) -> datetime:
        return self._epoch_dt + (instant - self._epoch_dt) / self.speedup


class ManualClock:
    """Flow time moves only when a test says so; real time is taken to be the same."""

    speedup = 1.0

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or utcnow()

    def now(self) -> datetime:
        return self._now

    def to_real(self, instant: datetime) -> datetime:
        return instant

    def advance(self, delta: timedelta) -> datetime:
        """Move flow time forward and return the new now."""
        self._now += delta
        return self._now


def clock_from_settings(speedup: float, epoch: float | None) -> Clock:
    """Pick the system clock unless a speed-up is configured."""
    if speedup == 1:
        return SystemClock()
    return CompressedClock(speedup, epoch)
