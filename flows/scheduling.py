"""The engine's view of the job queue: "run this enrollment's step at that time"."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class StepScheduler(Protocol):
    def schedule(self, enrollment_id: int, run_token: int, due: datetime) -> None:
        """Arrange for the step job to run at ``due`` (flow time)."""


class DeferredScheduler:
    """Collect schedule requests and hand them on only after the transaction commits.

    A job enqueued before its enrollment row is committed could run, find nothing, and be lost.
    """

    def __init__(self, target: StepScheduler) -> None:
        self._target = target
        self._pending: dict[int, tuple[int, datetime]] = {}

    def schedule(self, enrollment_id: int, run_token: int, due: datetime) -> None:
        self._pending[enrollment_id] = (run_token, due)

    def flush(self) -> None:
        """Pass on what was collected (the latest request per enrollment)."""
        pending, self._pending = self._pending, {}
        for enrollment_id, (token, due) in pending.items():
            self._target.schedule(enrollment_id, token, due)

    def discard(self) -> None:
        """Forget what was collected (the transaction rolled back)."""
        self._pending = {}
