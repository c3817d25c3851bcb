"""Count requests per key in fixed one-minute windows in Redis, for public endpoints that do work.

The webhook endpoints need none (a bad signature costs one HMAC) and the storefront endpoint has
its own (``app/storefront/buffer.py``). What remains is work an anonymous caller can make us repeat:
recording clicks on a leaked link, or making us call a Saleor instance to check install tokens.
The limiter fails open: Redis being slow or down must never take a shopper's redirect with it.
"""

from __future__ import annotations

import logging
import time

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
PREFIX = "storeflow:limit"


class RateLimiter:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def allow(self, scope: str, key: str, per_minute: int) -> bool:
        """Count one request for ``key`` and tell whether it is within ``per_minute`` (True if unsure)."""
        window = int(time.time() // WINDOW_SECONDS)
        name = f"{PREFIX}:{scope}:{key}:{window}"
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.incr(name)
            pipe.expire(name, 2 * WINDOW_SECONDS)
            count = int(pipe.execute()[0])
        except RedisError as exc:
            log.warning("rate limit %s not checked (Redis unavailable): %s", scope, exc)
            return True
        return count <= per_minute
