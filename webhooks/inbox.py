"""Store a verified webhook exactly once, and find the shop it belongs to quickly.

The insert is the only database work on the request path: one statement, ``ON CONFLICT DO NOTHING``
on (platform, shop, event id), committed before the platform gets its 200.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from threading import Lock

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from app.clock import utcnow
from app.models import Shop, WebhookEvent


@dataclass(frozen=True)
class ShopRef:
    id: int
    installed: bool


class ShopDirectory:
    """A short-lived per-process cache of (platform, domain) → shop, so ingest skips a query.

    Entries live ``ttl`` seconds; install and uninstall forget theirs at once in this process, and
    a stale entry elsewhere only means an event is stored and then ignored by the processor.
    """

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[str, str], tuple[float, ShopRef | None]] = {}
        self._lock = Lock()

    def lookup(self, engine: Engine, platform: str, domain: str) -> ShopRef | None:
        key = (platform, domain)
        now = time.monotonic()
        cached = self._entries.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        with engine.connect() as conn:
            row = conn.execute(
                select(Shop.id, Shop.installed_at, Shop.uninstalled_at).where(
                    Shop.platform == platform, Shop.domain == domain
                )
            ).first()
        ref = (
            None
            if row is None
            else ShopRef(row.id, row.installed_at is not None and row.uninstalled_at is None)
        )
        with self._lock:
            self._entries[key] = (now + self.ttl, ref)
        return ref

    def forget(self, platform: str, domain: str) -> None:
        with self._lock:
            self._entries.pop((platform, domain), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass(frozen=True)
class IncomingEvent:
    shop_id: int
    platform: str
    topic: str
    event_id: str
    body: str
    webhook_id: str | None = None
    api_version: str | None = None
    triggered_at: datetime | None = None
    received_at: datetime | None = None


def store_event(engine: Engine, event: IncomingEvent) -> bool:
    """Insert the event unless already stored; return True when this delivery was new."""
    values = {
        "shop_id": event.shop_id,
        "platform": event.platform,
        "topic": event.topic,
        "event_id": event.event_id,
        "webhook_id": event.webhook_id,
        "api_version": event.api_version,
        "triggered_at": event.triggered_at,
        "received_at": event.received_at or utcnow(),
        "body": event.body,
        "status": "pending",
        "attempts": 0,
    }
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    # RETURNING tells a new row from a conflict reliably; rowcount does not under psycopg here.
    statement = (
        insert(WebhookEvent)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["platform", "shop_id", "event_id"])
        .returning(WebhookEvent.id)
    )
    with engine.begin() as conn:
        inserted = conn.execute(statement).first()
    return inserted is not None
