"""The Redis queue of storefront posts: the endpoint admits to it, the worker's drain takes from it.

One round trip per post (app/storefront/buffer.py says why): a Lua script counts the events
against the visitor's and the shop's allowance and, if both allow them, appends the post.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from redis import Redis

from app.storefront.buffer import MAX_BACKLOG, QUEUE_KEY, WINDOW_SECONDS, Limits, encode
from app.storefront.errors import EventsUnavailableError, RateLimitedError
from app.storefront.schema import EventBatch

# KEYS: visitor counter, shop counter, queue. ARGV: events, visitor limit, shop limit, window,
# backlog cap, post. Returns 0 when queued, -1 when the backlog is full, else the seconds to wait.
_ADMIT = """
local n = tonumber(ARGV[1])
if redis.call('LLEN', KEYS[3]) >= tonumber(ARGV[5]) then return -1 end
local visitor = redis.call('INCRBY', KEYS[1], n)
if visitor == n then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
if visitor > tonumber(ARGV[2]) then return math.max(redis.call('TTL', KEYS[1]), 1) end
local shop = redis.call('INCRBY', KEYS[2], n)
if shop == n then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
if shop > tonumber(ARGV[3]) then return math.max(redis.call('TTL', KEYS[2]), 1) end
redis.call('RPUSH', KEYS[3], ARGV[6])
return 0
"""


class EventBuffer:
    """The queue of storefront posts: the endpoint admits to it, the worker's drain takes from it."""

    def __init__(self, redis: Redis, limits: Limits, max_backlog: int = MAX_BACKLOG) -> None:
        self.redis = redis
        self.limits = limits
        self.max_backlog = max_backlog
        self._admit = redis.register_script(_ADMIT)

    def admit(self, shop_id: int, batch: EventBatch, received_at: datetime) -> None:
        """Queue the post, or raise RateLimitedError / EventsUnavailableError (Redis errors propagate)."""
        keys = (f"storeflow:rl:v:{shop_id}:{batch.visitor}", f"storeflow:rl:s:{shop_id}", QUEUE_KEY)
        args = (
            len(batch.events),
            self.limits.per_visitor,
            self.limits.per_shop,
            WINDOW_SECONDS,
            self.max_backlog,
            encode(shop_id, batch, received_at),
        )
        wait = int(self._admit(keys=keys, args=args))
        if wait == -1:
            raise EventsUnavailableError("too many events waiting to be stored; try again later")
        if wait > 0:
            raise RateLimitedError("too many events this minute", retry_after=wait)

    def take(self, limit: int) -> list[bytes]:
        """Pop up to ``limit`` queued posts, oldest first."""
        taken: Any = self.redis.lpop(QUEUE_KEY, limit)
        return list(taken or [])

    def give_back(self, posts: list[bytes]) -> None:
        """Put posts that could not be stored back at the head of the queue, in their order."""
        if posts:
            self.redis.lpush(QUEUE_KEY, *reversed(posts))
