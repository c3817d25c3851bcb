"""Process stored webhooks: normalize, merge, and let the flow engine react.

A batch (what the relay hands one job) is processed in one unit of work: one lock statement, the
shop's settings resolved once, one commit. ``process`` handles a single event in a unit of work of
its own: the fallback that isolates an event a batch could not take (app/jobs/event_batch.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.core.clock import Clock
from app.core.errors import StoreflowError
from app.core.events import EventKind
from app.core.facts import NormalizationError, Normalized
from app.db.models import Order, Shop, WebhookEvent
from app.db.models.inbox import IGNORED, PROCESSED, REFUSED, REJECTED
from app.ingest.apply import apply_normalized
from app.ingest.lifecycle import uninstall
from app.ingest.privacy import export_customer, redact_customer, redact_shop
from app.jobs.unit_of_work import unit_of_work
from app.reports.attribution import DEFAULT_WINDOWS, Windows, attribute_order
from flows.engine import FlowEngine
from flows.scheduling import StepScheduler
from webhooks.binding import Binding
from webhooks.errors import WebhookError
from webhooks.inbox import ShopRef
from webhooks.payload import JSONObject, decode_json
from webhooks.registry import BINDERS, NORMALIZERS

log = logging.getLogger(__name__)

# What an uninstalled shop still gets processed: Shopify sends shop/redact 48 h after uninstall.
# These are also the events that erase, export or switch a shop off: each acts only on a body
# that names the shop it was stored for (webhooks/binding.py).
AFTER_UNINSTALL = frozenset(
    {
        EventKind.APP_UNINSTALLED,
        EventKind.PRIVACY_DATA_REQUEST,
        EventKind.PRIVACY_CUSTOMER_REDACT,
        EventKind.PRIVACY_SHOP_REDACT,
    }
)


# Order events after which an order may be credited to a message (see app/reports/attribution.py).
ATTRIBUTES = frozenset({EventKind.ORDER_PLACED, EventKind.ORDER_PAID})


def _unbound(event: WebhookEvent, shop: Shop, payload: JSONObject) -> str | None:
    """Say why a destructive event must not act on this shop, or None when its body names the shop.

    The receiver refused every body that names another shop; checked again here against what the
    shop is known by now. A body that names no shop cannot be bound: it is refused, not acted on.
    """
    try:
        binding = BINDERS[event.platform](event.topic, payload, ShopRef.of(shop))
    except WebhookError as exc:
        return f"not bound to this shop: {exc}"
    if binding is Binding.UNNAMED:
        return "the body names no shop this shop is known by (its platform id is not stored yet)"
    return None


class BatchInterrupted(StoreflowError, RuntimeError):
    """A batch was rolled back at ``position`` (None: at its commit, culprit unknown).

    ``cause`` is what raised there, or None when the event at ``position`` must run on its own
    (an uninstall or a privacy request, which switch a shop off or erase what later events touch).
    """

    def __init__(self, position: int | None, cause: BaseException | None) -> None:
        super().__init__(f"batch interrupted at {position}: {cause!r}")
        self.position = position
        self.cause = cause


class _RunAlone(StoreflowError, RuntimeError):
    """Raised inside a batch by an event that must be processed in a unit of work of its own."""


class EventProcessor:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        scheduler: StepScheduler,
        windows: Windows = DEFAULT_WINDOWS,
        history_ready: Callable[[int], object] | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.scheduler = scheduler
        self.windows = windows
        # What wakes a shop's history sync when its platform says the history is ready to read.
        self.history_ready = history_ready
        # The shops of the batch being processed: the session's identity map holds rows weakly, so
        # without this each event of a batch would load its shop again.
        self._shops: dict[int, Shop] = {}
        # In a batch, the event rows to settle when every event is handled: one flush writes them
        # all (the ORM sends same-shaped UPDATEs as one executemany) instead of one UPDATE each.
        self._settle_later: list[tuple[WebhookEvent, dict[str, Any]]] | None = None

    def _locked(self, ids: list[int]) -> Select[WebhookEvent]:
        query = select(WebhookEvent).where(WebhookEvent.id.in_(ids)).order_by(WebhookEvent.id)
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()  # a re-dispatched duplicate waits, then sees it processed
        return query

    def process(self, event_id: int) -> str:
        """Process one event exactly once, in a unit of work of its own; return its final status."""
        event = self.session.scalars(self._locked([event_id])).first()
        if event is None:
            return "missing"
        if event.processed_at is not None:
            self.session.rollback()
            return event.status
        try:
            with unit_of_work(self.session, self.clock, self.scheduler) as work:
                return self._handle(event, work.engine, self._read(event))
        except NormalizationError as exc:
            event = self.session.get_one(WebhookEvent, event_id)
            self._reject(event, exc)
            self.session.commit()
            return REJECTED

    def process_batch(self, event_ids: Sequence[int]) -> dict[int, str]:
        """Process events in id order in one unit of work (one commit); return each one's status.

        The rows are locked in id order up front, so a concurrent worker holding some of them
        makes this one wait, then see them processed. Any raise rolls the whole batch back and
        becomes ``BatchInterrupted``, naming the event it happened at, for the caller to isolate.
        """
        ids = sorted(set(event_ids))
        results: dict[int, str] = {}
        position: int | None = None
        self._shops, self._settle_later = {}, []
        try:
            with unit_of_work(self.session, self.clock, self.scheduler) as work:
                events = {event.id: event for event in self.session.scalars(self._locked(ids))}
                for position, event_id in enumerate(ids):  # noqa: B007 (read where a raise is caught)
                    event = events.get(event_id)
                    if event is None:
                        results[event_id] = "missing"
                    elif event.processed_at is not None:
                        results[event_id] = event.status
                    else:
                        results[event_id] = self._handle_in_batch(event, work.engine)
                position = None  # what fails from here on is the commit
                for settled, values in self._settle_later:
                    _settle(settled, values)
        except _RunAlone:
            raise BatchInterrupted(position, None) from None
        except Exception as exc:
            raise BatchInterrupted(position, exc) from exc
        finally:
            self._shops, self._settle_later = {}, None
        return results

    def _handle_in_batch(self, event: WebhookEvent, engine: FlowEngine) -> str:
        """Handle one event of a batch; a payload the normalizer refuses is rejected in place."""
        try:
            read = self._read(event)
        except NormalizationError as exc:
            self._reject(event, exc)
            return REJECTED
        if read is not None and read[2].kind in AFTER_UNINSTALL:
            raise _RunAlone
        return self._handle(event, engine, read)

    def _read(self, event: WebhookEvent) -> tuple[Shop, JSONObject, Normalized] | None:
        """Load the event's shop and normalize its body (no writes); None when the shop is gone."""
        shop = self._shops.get(event.shop_id) or self.session.get(Shop, event.shop_id)
        if shop is None:
            return None
        self._shops[shop.id] = shop
        payload = decode_json(event.body)  # the text as stored at ingest, strings made storable again
        if not isinstance(payload, dict):
            raise NormalizationError("payload is not a JSON object")
        normalize = NORMALIZERS[event.platform]
        return shop, payload, normalize(event.topic, payload, event.triggered_at or event.received_at)

    def _handle(
        self,
        event: WebhookEvent,
        engine: FlowEngine,
        read: tuple[Shop, JSONObject, Normalized] | None,
    ) -> str:
        if read is None:
            return IGNORED
        shop, payload, normalized = read
        if not shop.is_installed and normalized.kind not in AFTER_UNINSTALL:
            self._finish(event, IGNORED, "shop is not installed")
            return IGNORED
        if normalized.kind in AFTER_UNINSTALL:
            refusal = _unbound(event, shop, payload)
            if refusal is not None:
                self._finish(event, REFUSED, refusal)
                log.warning("webhook %s (%s %s) refused: %s", event.id, event.platform, event.topic, refusal)
                return REFUSED
        if normalized.kind == EventKind.PRIVACY_SHOP_REDACT:
            redact_shop(self.session, shop)  # deletes this event row with everything else
            return PROCESSED
        found = self._apply(event, shop, normalized, engine)
        self._finish(event, PROCESSED, **found)
        return PROCESSED

    def _apply(
        self, event: WebhookEvent, shop: Shop, normalized: Normalized, engine: FlowEngine
    ) -> dict[str, Any]:
        """Act on the event; return what the event row learns (its contact and subject), if anything."""
        now = self.clock.now()
        if normalized.kind == EventKind.APP_UNINSTALLED:
            uninstall(self.session, shop, normalized.occurred_at, now)
            return {}
        if normalized.kind == EventKind.HISTORY_READY:
            if self.history_ready is not None:
                self.history_ready(shop.id)
            return {}
        if normalized.kind == EventKind.PRIVACY_DATA_REQUEST and normalized.privacy:
            export_customer(self.session, shop, normalized.privacy)
            return {}
        if normalized.kind == EventKind.PRIVACY_CUSTOMER_REDACT and normalized.privacy:
            redact_customer(self.session, shop, normalized.privacy)
            event.body = "{}"  # the request itself names the customer
            return {}
        applied = apply_normalized(self.session, shop.id, normalized, engine.settings_of(shop.id))
        if applied.contact is not None and applied.contact_created:
            engine.created_contact(applied.contact.id)
        engine.handle_all(applied.triggers)
        if normalized.order is not None and any(t.kind in ATTRIBUTES for t in applied.triggers):
            self._attribute(shop, normalized.order.platform_id)
        return {
            "contact_id": applied.contact.id if applied.contact else None,
            "subject_key": applied.subject_key,
        }

    def _attribute(self, shop: Shop, platform_id: str) -> None:
        order = self.session.scalars(
            select(Order).filter_by(shop_id=shop.id, platform_id=platform_id)
        ).first()
        if order is not None:
            attribute_order(self.session, order, self.windows, self.clock.now())

    def _reject(self, event: WebhookEvent, exc: NormalizationError) -> None:
        self._finish(event, REJECTED, f"payload rejected: {exc}")
        log.warning("webhook %s (%s %s) rejected: %s", event.id, event.platform, event.topic, exc)

    def _finish(self, event: WebhookEvent, status: str, error: str | None = None, **found: Any) -> None:
        """Settle the event row; in a batch, once every event is handled, so all are written together."""
        values = {
            "status": status,
            "error": error,
            "processed_at": self.clock.now(),
            "retry_at": None,
            "attempts": event.attempts + 1,
            **found,
        }
        if self._settle_later is not None:
            self._settle_later.append((event, values))
            return
        _settle(event, values)


def _settle(event: WebhookEvent, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(event, name, value)
