"""Process one stored webhook: normalize, merge, and let the flow engine react."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.clock import Clock
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


class EventProcessor:
    def __init__(
        self, session: Session, clock: Clock, scheduler: StepScheduler, windows: Windows = DEFAULT_WINDOWS
    ) -> None:
        self.session = session
        self.clock = clock
        self.scheduler = scheduler
        self.windows = windows

    def process(self, event_id: int) -> str:
        """Process one event exactly once; return its final status."""
        query = select(WebhookEvent).where(WebhookEvent.id == event_id)
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()  # a re-dispatched duplicate waits, then sees it processed
        event = self.session.scalars(query).first()
        if event is None:
            return "missing"
        if event.processed_at is not None:
            self.session.rollback()
            return event.status
        try:
            with unit_of_work(self.session, self.clock, self.scheduler) as work:
                return self._handle(event, work.engine)
        except NormalizationError as exc:
            event = self.session.get_one(WebhookEvent, event_id)
            self._finish(event, REJECTED, f"payload rejected: {exc}")
            self.session.commit()
            log.warning("webhook %s (%s %s) rejected: %s", event_id, event.platform, event.topic, exc)
            return REJECTED

    def _handle(self, event: WebhookEvent, engine: FlowEngine) -> str:
        shop = self.session.get(Shop, event.shop_id)
        if shop is None:
            return IGNORED
        payload = decode_json(event.body)  # the text as stored at ingest, strings made storable again
        if not isinstance(payload, dict):
            raise NormalizationError("payload is not a JSON object")
        normalize = NORMALIZERS[event.platform]
        normalized = normalize(event.topic, payload, event.triggered_at or event.received_at)
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
        self._apply(event, shop, normalized, engine)
        self._finish(event, PROCESSED)
        return PROCESSED

    def _apply(self, event: WebhookEvent, shop: Shop, normalized: Normalized, engine: FlowEngine) -> None:
        now = self.clock.now()
        if normalized.kind == EventKind.APP_UNINSTALLED:
            uninstall(self.session, shop, normalized.occurred_at, now)
            return
        if normalized.kind == EventKind.PRIVACY_DATA_REQUEST and normalized.privacy:
            export_customer(self.session, shop, normalized.privacy)
            return
        if normalized.kind == EventKind.PRIVACY_CUSTOMER_REDACT and normalized.privacy:
            redact_customer(self.session, shop, normalized.privacy)
            event.body = "{}"  # the request itself names the customer
            return
        applied = apply_normalized(self.session, shop.id, normalized)
        event.contact_id = applied.contact.id if applied.contact else None
        event.subject_key = applied.subject_key
        engine.handle_all(applied.triggers)
        if normalized.order is not None and any(t.kind in ATTRIBUTES for t in applied.triggers):
            self._attribute(shop, normalized.order.platform_id)

    def _attribute(self, shop: Shop, platform_id: str) -> None:
        order = self.session.scalars(
            select(Order).filter_by(shop_id=shop.id, platform_id=platform_id)
        ).first()
        if order is not None:
            attribute_order(self.session, order, self.windows, self.clock.now())

    def _finish(self, event: WebhookEvent, status: str, error: str | None = None) -> None:
        event.status = status
        event.error = error
        event.processed_at = self.clock.now()
        event.retry_at = None
        event.attempts += 1
