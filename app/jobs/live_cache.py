"""Keep the store's answers in Redis for a minute, per shop and object, so a wave of alerts asks once
(the LiveCache of app/storecheck/cache.py, shared by every worker)."""

from __future__ import annotations

import json
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

# Short enough that a message rarely goes on news a minute old; long enough that a batch of
# back-in-stock alerts for one variant costs one API call, not one per shopper.
TTL_SECONDS = 60


class RedisLiveCache:
    def __init__(self, redis: Redis, ttl: int = TTL_SECONDS) -> None:
        self.redis = redis
        self.ttl = ttl

    def get(self, shop_id: int, kind: str, ref: str) -> dict[str, Any] | None:
        """Return the cached answer about one object, or None (also when Redis fails: just ask)."""
        try:
            raw = self.redis.get(self._key(shop_id, kind, ref))
        except RedisError:
            return None
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def put(self, shop_id: int, kind: str, ref: str, value: dict[str, Any]) -> None:
        """Remember an answer for ``ttl`` seconds; a failing Redis only costs the next call."""
        try:
            self.redis.set(self._key(shop_id, kind, ref), json.dumps(value), ex=self.ttl)
        except RedisError:
            return

    def _key(self, shop_id: int, kind: str, ref: str) -> str:
        return f"storeflow:storecheck:{shop_id}:{kind}:{ref}"
