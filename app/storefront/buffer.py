"""What the storefront events endpoint queues for the worker: the posts, their limits and encoding.

Redis stands between the storefront events endpoint and the database (app/jobs/event_buffer.py).

The endpoint makes one round trip per post: a Lua script counts the events against the visitor's
and the shop's per-minute allowance (fixed one-minute windows, ``INCRBY`` with an expiry) and, if
both allow them, appends the post to a list. The worker's relay loop takes posts off the list in
batches (``app/jobs/storefront_drain.py``) and writes them with a few statements, so a storefront
flood never reaches PostgreSQL one row at a time. The visitor is counted first: a visitor over their
allowance is refused without spending the shop's. The list is capped, so a stopped worker makes
the endpoint refuse events (503) instead of filling Redis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from app.storefront.schema import EventBatch

QUEUE_KEY = "storeflow:storefront:events"
WINDOW_SECONDS = 60
MAX_BACKLOG = 200_000


@dataclass(frozen=True)
class Limits:
    """Events accepted per minute, per visitor and per shop."""

    per_visitor: int
    per_shop: int


@dataclass(frozen=True)
class QueuedPost:
    """A post as the drain reads it back."""

    shop_id: int
    received_at: datetime
    batch: EventBatch


class PostQueue(Protocol):
    """Where admitted posts wait for the drain (Redis in production: app/jobs/event_buffer.py)."""

    def take(self, limit: int) -> list[bytes]: ...

    def give_back(self, posts: list[bytes]) -> None: ...


def encode(shop_id: int, batch: EventBatch, received_at: datetime) -> str:
    """Serialize a post compactly for the queue."""
    post: dict[str, Any] = {"s": shop_id, "t": received_at.isoformat(), "v": batch.visitor, "e": batch.events}
    if batch.link:
        post["l"] = batch.link
    if batch.logged_in_customer_id:
        # Not "c": posts queued before this release kept a customer id the page claimed under it.
        post["lc"] = batch.logged_in_customer_id
    if batch.timezone:
        post["z"] = batch.timezone
    return json.dumps(post, separators=(",", ":"))


def decode(raw: bytes) -> QueuedPost:
    """Read a queued post back (raises ValueError or KeyError on a corrupt one)."""
    post = json.loads(raw)
    return QueuedPost(
        shop_id=int(post["s"]),
        received_at=datetime.fromisoformat(post["t"]),
        batch=EventBatch(
            visitor=str(post["v"]),
            events=tuple(post["e"]),
            link=post.get("l"),
            logged_in_customer_id=post.get("lc"),
            timezone=post.get("z"),
        ),
    )
