"""Where the check keeps the store's answers for a minute, per shop and object, so a wave of alerts
asks once. Production keeps them in Redis (app/jobs/live_cache.py); a dry run in memory."""

from __future__ import annotations

from typing import Any, Protocol


class LiveCache(Protocol):
    def get(self, shop_id: int, kind: str, ref: str) -> dict[str, Any] | None:
        """Return the cached answer about one object, or None (also when the cache fails: just ask)."""
        ...

    def put(self, shop_id: int, kind: str, ref: str, value: dict[str, Any]) -> None:
        """Remember an answer for a while; a failing cache only costs the next call."""
        ...


class RunCache:
    """Answers kept for one run (the flow simulator), forgotten with it."""

    def __init__(self) -> None:
        self.answers: dict[tuple[int, str, str], dict[str, Any]] = {}

    def get(self, shop_id: int, kind: str, ref: str) -> dict[str, Any] | None:
        return self.answers.get((shop_id, kind, ref))

    def put(self, shop_id: int, kind: str, ref: str, value: dict[str, Any]) -> None:
        self.answers[(shop_id, kind, ref)] = value
