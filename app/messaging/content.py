"""Everything a flow message shows besides its subject: content blocks, the flow's settings, what
started the flow, and a unique discount code when the step offers one.

``build`` either returns the template variables or settles the step without sending: skipped when a
block the step needs is empty, retried later when the platform could not make the discount code yet.
A code the platform refused for good does not hold the message back: it goes without one, noted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.core.clock import Clock
from app.core.config import Config
from app.db.checkpoint import checkpoint
from app.db.models import Contact, Enrollment, Message, Shop
from app.db.models import decisions as decided
from app.db.models.messaging import PENDING, SKIPPED
from app.discounts.codes import ensure_code
from app.discounts.errors import DiscountError
from app.messaging.blocks import BlockInput, fill_blocks
from app.messaging.products import images_of
from app.messaging.signed_links import confirm_url
from app.shops.platform import DiscountIssuer
from flows.decisions import record_message_decision
from flows.definitions import Flow, Send
from flows.runner import SendOutcome
from flows.settings import ResolvedSettings, flow_settings
from flows.subjects import Subject

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Content:
    """The template variables, or what to do with the step instead of sending it now.

    ``facts`` are what the decision log should keep of how the content was chosen (products left out).
    """

    variables: dict[str, Any] = field(default_factory=dict)
    outcome: SendOutcome | None = None
    facts: dict[str, Any] = field(default_factory=dict)


class ContentBuilder:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        config: Config,
        issuers: Callable[[Shop], DiscountIssuer],
    ) -> None:
        self.session = session
        self.clock = clock
        self.config = config
        self.issuers = issuers

    def build(
        self,
        shop: Shop,
        contact: Contact,
        subject: Subject | None,
        enrollment: Enrollment,
        flow: Flow,
        step: Send,
        message: Message,
    ) -> Content:
        """Return the message's extra template variables, or the outcome that replaces sending."""
        now = self.clock.now()
        settings = flow_settings(self.session, shop.id, flow.key)
        confirm = confirm_url(self.config.app_url, self.config.secret_key, shop.id, contact.id)
        data = BlockInput(self.session, shop, contact, enrollment, subject, settings, now, confirm)
        variables, empty = fill_blocks(flow.blocks, data)
        facts = {"left_out": data.left_out} if data.left_out else {}
        missing = [name for name in step.needs if name in empty]
        if missing:
            reason = f"nothing to show: no {', '.join(missing)} products for this shopper"
            return self._skip(message, reason, {"empty": missing, **facts})
        variables["params"] = dict(settings.params)
        variables["event"] = dict(enrollment.context or {})
        _add_images(self.session, shop, variables, subject)
        if step.offers_discount and settings.params.get("discount"):
            discount = self._discount(shop, enrollment, settings, message)
            if isinstance(discount, SendOutcome):
                return Content(outcome=discount)
            variables["discount"] = discount
        return Content(variables, facts=facts)

    def _discount(
        self, shop: Shop, enrollment: Enrollment, settings: ResolvedSettings, message: Message
    ) -> dict[str, Any] | SendOutcome | None:
        now = self.clock.now()
        percent, days = settings.param("discount_percent"), settings.param("discount_days")
        try:
            result = ensure_code(self.session, self.issuers(shop), shop, enrollment, percent, days, now)
        except DiscountError as exc:  # no way to reach the platform at all (no token)
            self._note(message, f"sent without a discount code: {exc}")
            return None
        if result.retry_at is not None:
            return SendOutcome(retry_at=result.retry_at)
        if result.code is None:
            self._note(message, f"sent without a discount code: {result.unavailable}")
            return None
        return {
            "code": result.code.code,
            "percent": result.code.percent,
            "expires_at": result.code.expires_at,
            "expires": f"{result.code.expires_at:%B} {result.code.expires_at.day}",
        }

    def _note(self, message: Message, detail: str) -> None:
        message.record(PENDING, self.clock.now(), detail)
        checkpoint(self.session)
        log.warning("message %s: %s", message.id, detail)

    def _skip(self, message: Message, reason: str, facts: dict[str, Any]) -> Content:
        message.record(SKIPPED, self.clock.now(), reason)
        record_message_decision(self.session, message, decided.SKIPPED, reason, self.clock.now(), facts)
        checkpoint(self.session)
        log.info("message %s skipped: %s", message.id, reason)
        return Content(outcome=SendOutcome())


def _add_images(session: Session, shop: Shop, variables: dict[str, Any], subject: Subject | None) -> None:
    """Give line items without an image their product's catalogue image (Shopify sends none)."""
    items = subject.line_items if subject is not None else []
    missing = [
        str(item["product_id"]) for item in items if item.get("product_id") and not item.get("image_url")
    ]
    images = images_of(session, shop.id, missing)
    if images:
        variables["images"] = images
