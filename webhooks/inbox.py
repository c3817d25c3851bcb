"""Store a verified webhook exactly once, and find the shop it belongs to quickly.

The insert is the only database work on the request path: one autocommit statement,
``ON CONFLICT DO NOTHING`` on (platform, shop, event id), durable before the platform gets its 200,
shared by the deliveries that arrive together (group commit: ``webhooks.group_commit``).

Every value a delivery brings is bounded here, the same way for both platforms, before it meets a
column: a value PostgreSQL refuses would fail the insert on every retry, and a refusal the platform
sees as 503 is retried for hours (Shopify then deletes the subscription). See ``bounded``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from app.core.clock import utcnow
from app.core.errors import StoreflowError
from app.core.text import storable
from app.db.models import Shop, WebhookEvent
from webhooks.group_commit import GroupCommitter, NotWritten
from webhooks.inbox_writer import InboxWriter, Row


@dataclass(frozen=True)
class ShopRef:
    """What ingest needs of a shop: its row, whether it is installed, and what binds a body to it."""

    id: int
    installed: bool
    domain: str = ""
    platform_shop_id: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    # The API version the installation speaks, for platforms that name it only at install (Saleor).
    api_version: str | None = None

    @classmethod
    def of(cls, shop: Shop) -> ShopRef:
        return cls(
            shop.id,
            shop.is_installed,
            shop.domain,
            shop.platform_shop_id,
            dict(shop.settings or {}),
            shop.api_version,
        )


class ShopDirectory:
    """A short-lived per-process cache of (platform, domain) → shop, so ingest skips a query.

    Entries live ``ttl`` seconds; install and uninstall forget theirs at once in this process, and
    a stale entry elsewhere only means an event is stored and then ignored by the processor.
    """

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[str, str], tuple[float, ShopRef | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, engine: Engine, platform: str, domain: str) -> ShopRef | None:
        key = (platform, domain)
        now = time.monotonic()
        cached = self._entries.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        with engine.connect() as conn:
            row = conn.execute(
                select(
                    Shop.id,
                    Shop.installed_at,
                    Shop.uninstalled_at,
                    Shop.platform_shop_id,
                    Shop.settings,
                    Shop.api_version,
                ).filter_by(platform=platform, domain=domain)
            ).first()
        ref = (
            None
            if row is None
            else ShopRef(
                row.id,
                row.installed_at is not None and row.uninstalled_at is None,
                domain,
                row.platform_shop_id,
                row.settings or {},
                row.api_version,
            )
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


def _width(name: str) -> int:
    """How many characters one of ``webhook_event``'s text columns holds, as the model declares it."""
    column_type = WebhookEvent.__table__.c[name].type
    if not isinstance(column_type, String) or column_type.length is None:
        raise TypeError(f"webhook_event.{name} is not a bounded text column")
    return column_type.length


# Read from the model, so a migration that changes a column moves its bound with it.
_WIDTHS = {name: _width(name) for name in ("topic", "event_id", "webhook_id", "api_version")}


def bounded(event: IncomingEvent) -> IncomingEvent:
    """Return the event with each outside value made storable (``app.core.text.storable``) and fit
    to its column: descriptive text (topic, webhook id, API version) is cut; the event id, which
    dedupes, becomes its SHA-256 when too long, since two cut ids could collide and one delivery be
    taken for another's duplicate, while a digest is the same on every redelivery.
    """
    event_id = storable(event.event_id)
    if len(event_id) > _WIDTHS["event_id"]:
        event_id = "sha256:" + hashlib.sha256(event_id.encode()).hexdigest()
    return replace(
        event,
        topic=storable(event.topic)[: _WIDTHS["topic"]],
        event_id=event_id,
        webhook_id=_cut(event.webhook_id, "webhook_id"),
        api_version=_cut(event.api_version, "api_version"),
    )


def _cut(value: str | None, column: str) -> str | None:
    return None if value is None else storable(value)[: _WIDTHS[column]] or None


# How long the first delivery of a group waits for the others of its process while deliveries
# arrive together (not once they come one at a time): under the ingest benchmark's load 1 ms took
# the rows per INSERT from about 2.4 to 3.4, and PostgreSQL's CPU per delivery down with them
# (bench/README.md).
GROUP_LINGER = 0.001


class InboxUnavailableError(StoreflowError, RuntimeError):
    """The database did not take the delivery; the platform should retry it later."""


class Inbox:
    """Where verified webhooks are written: deliveries arriving together share one INSERT, no ORM.

    ``store`` queues the delivery's row with the others of this process (``webhooks.group_commit``)
    and returns once the group holding it is durable: one autocommit multi-row INSERT on the
    inbox's one writing connection (``webhooks.inbox_writer``), a static statement per group size
    that psycopg prepares after a few uses. A connection broken by a database restart fails once, is
    replaced, and the group is written again; a database that stays down raises
    InboxUnavailableError, as does a row the database refuses (a refused group is written row by
    row, so such a row fails alone).
    """

    def __init__(self, database_url: str) -> None:
        options: dict[str, object] = {"isolation_level": "AUTOCOMMIT", "pool_pre_ping": False}
        if database_url.startswith("sqlite"):
            options["connect_args"] = {"timeout": 30, "check_same_thread": False}
        self.engine = create_engine(database_url, **options)
        self.shops = ShopDirectory()
        self._sqlite = self.engine.dialect.name == "sqlite"
        self.writer = InboxWriter(self.engine)
        self._committer: GroupCommitter[Row, bool] = GroupCommitter(self.writer.write, linger=GROUP_LINGER)

    def find_shop(self, platform: str, domain: str) -> ShopRef | None:
        """Return the installed-or-not shop for a domain (cached briefly)."""
        try:
            return self.shops.lookup(self.engine, platform, domain)
        except DBAPIError as exc:
            raise InboxUnavailableError(str(exc.orig)) from exc

    def store(self, event: IncomingEvent) -> bool:
        """Insert the event unless already stored; return True when this delivery was new.

        Returns only once the row is committed; raises InboxUnavailableError when it was not.
        """
        event = bounded(event)
        row = (  # in the order of webhooks.inbox_writer.COLUMNS
            event.shop_id,
            event.platform,
            event.topic,
            event.event_id,
            event.webhook_id,
            event.api_version,
            self._timestamp(event.triggered_at),
            self._timestamp(event.received_at or utcnow()),
            event.body,
            "pending",
            0,
        )
        try:
            return self._committer.submit(row)
        except NotWritten as exc:
            raise InboxUnavailableError(str(exc)) from exc

    def close(self) -> None:
        """Refuse further deliveries, give back the writing connection and close the engine's pool."""
        self._committer.close()
        self.writer.close()
        self.engine.dispose()

    def _timestamp(self, value: datetime | None) -> object:
        """Bind a time as the models store it: naive UTC (text in SQLite's format)."""
        if value is None:
            return None
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if self._sqlite else naive
