"""Shopify's cost-based throttle, as the answers' ``extensions.cost.throttleStatus`` report it.

Each Admin GraphQL call spends points from a bucket that refills at ``restoreRate`` a second. The
history reader spends few (a bulk operation costs what starting it costs, however many rows it
returns), but it shares the bucket with every other call the app makes for the shop; so before a
call it checks what the last answer left, and says how long to wait instead of being refused.
https://shopify.dev/docs/api/usage/limits#cost-calculation
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Throttle:
    """What the last answer said the bucket holds, and how fast it refills."""

    available: float | None = None
    restore_rate: float = 50.0

    def note(self, extensions: dict[str, Any]) -> None:
        """Remember the bucket's state from an answer's extensions (ignored when absent or odd)."""
        cost = extensions.get("cost")
        status = cost.get("throttleStatus") if isinstance(cost, dict) else None
        if not isinstance(status, dict):
            return
        available, rate = status.get("currentlyAvailable"), status.get("restoreRate")
        if isinstance(available, int | float) and not isinstance(available, bool):
            self.available = float(available)
        if isinstance(rate, int | float) and not isinstance(rate, bool) and rate > 0:
            self.restore_rate = float(rate)

    def wait_for(self, cost: float) -> float:
        """Return the seconds until a call of ``cost`` points fits in the bucket (0: now)."""
        if self.available is None or self.available >= cost:
            return 0.0
        return (cost - self.available) / self.restore_rate
