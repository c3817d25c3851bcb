"""Decide, right before sending, whether the live store still backs a recovery or catalogue message.

- Abandoned checkout / cart: skipped when the store already has an order from it.
- Back in stock / low stock / price drop: skipped when the variant sold out again, and a price drop
  also when the price is back above the one the message announces.
Every other flow is not checked. Answers are cached for a minute per shop and object
(app/storecheck/cache.py). When the store cannot be asked, the shop's setting decides: **send** by
default, because what the webhooks last said still stands (the checkout was open, the variant was
in stock), exits and guards already catch most late news, and a store's API outage should not cost
the merchant its recovery revenue; **skip** for merchants who would rather miss a message than send
a wrong one. A shop without an API token (the demo, a store mid-install) is not checked.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from app.core.clock import Clock
from app.db.checkpoint import checkpoint
from app.db.models import Cart, Checkout, Enrollment, Message, Shop
from app.db.models import decisions as decided
from app.db.models.messaging import PENDING, SKIPPED
from app.shops.platform import LiveStore, VariantFacts
from app.shops.settings import SKIP_MESSAGE, when_store_unreachable
from app.storecheck.cache import LiveCache
from app.storecheck.errors import StoreUnreachableError
from flows.decisions import Facts, record_message_decision
from flows.definitions import Flow
from flows.runner import SendOutcome
from flows.subjects import Subject

log = logging.getLogger(__name__)

RECOVERY_FLOWS = frozenset({"abandoned_checkout", "abandoned_cart"})
STOCK_FLOWS = frozenset({"back_in_stock", "low_stock"})
PRICE_FLOWS = frozenset({"price_drop"})
CHECKED_FLOWS = RECOVERY_FLOWS | STOCK_FLOWS | PRICE_FLOWS
AT_SEND_TIME = "checked with the store at send time"


class StoreCheck:
    def __init__(self, session: Session, clock: Clock, live: LiveStore | None, cache: LiveCache) -> None:
        self.session = session
        self.clock = clock
        self.live = live
        self.cache = cache

    def hold(
        self, shop: Shop, flow: Flow, enrollment: Enrollment, subject: Subject | None, message: Message
    ) -> SendOutcome | None:
        """Skip the message (recorded on it) when the live store says it is stale; None lets it go."""
        if flow.key not in CHECKED_FLOWS or self.live is None:
            return None
        now = self.clock.now()
        facts: Facts = {"rule": "store_check", "platform": shop.platform, "store_reachable": True}
        try:
            stale = self._stale(self.live, shop, flow, enrollment, subject)
        except StoreUnreachableError as exc:
            facts["store_reachable"] = False
            if when_store_unreachable(shop) == SKIP_MESSAGE:
                stale = f"the store could not be asked, and the shop skips then: {exc}"
            else:
                message.record(PENDING, now, f"the store could not be asked, sent as the shop chose: {exc}")
                checkpoint(self.session)
                log.warning("message %s: store not reachable, sending anyway: %s", message.id, exc)
                return None
        if stale is None:
            return None
        message.record(SKIPPED, now, stale)
        record_message_decision(self.session, message, decided.SKIPPED, stale, now, facts)
        checkpoint(self.session)
        log.info("message %s skipped: %s", message.id, stale)
        return SendOutcome()

    def _stale(
        self, live: LiveStore, shop: Shop, flow: Flow, enrollment: Enrollment, subject: Subject | None
    ) -> str | None:
        """Return why the message no longer holds according to the store, or None."""
        if flow.key in RECOVERY_FLOWS:
            return self._recovered(live, shop, subject)
        context = enrollment.context or {}
        variant_id = context.get("variant_id")
        if not variant_id:
            return None
        facts = self._variant(live, shop, str(variant_id))
        if not facts.available:
            return f"sold out again ({AT_SEND_TIME})"
        announced = _decimal(context.get("new_price"))
        raised = facts.price is not None and announced is not None and facts.price > announced
        if flow.key in PRICE_FLOWS and raised and facts.price is not None and announced is not None:
            now_price = facts.price.quantize(announced)
            return f"price is back up to {now_price} from {announced} ({AT_SEND_TIME})"
        return None

    def _recovered(self, live: LiveStore, shop: Shop, subject: Subject | None) -> str | None:
        if isinstance(subject, Checkout):
            kind, ask, said = "checkout", live.checkout_ordered, "the checkout was completed"
        elif isinstance(subject, Cart):
            kind, ask, said = "cart", live.cart_ordered, "an order came from this cart"
        else:
            return None
        cached = self.cache.get(shop.id, kind, subject.token)
        if cached is None:
            cached = {"ordered": ask(subject.token)}
            self.cache.put(shop.id, kind, subject.token, cached)
        return f"{said} ({AT_SEND_TIME})" if cached.get("ordered") is True else None

    def _variant(self, live: LiveStore, shop: Shop, variant_id: str) -> VariantFacts:
        cached = self.cache.get(shop.id, "variant", variant_id)
        if cached is not None:
            return VariantFacts.from_json(cached)
        facts = live.variant(variant_id)
        self.cache.put(shop.id, "variant", variant_id, facts.to_json())
        return facts


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None
