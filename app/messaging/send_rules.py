"""Send-time rules that hold a message back: local send time and the contact budget.

- **Local send time** (every channel, ``app/messaging/local_time.py``): outside the shop's hours for
  the channel (Settings; SMS quiet 21:00-08:00, push 08:00-21:00, email any time unless changed) in
  the shopper's time zone, the message is deferred to the end of them, never dropped.
- **Contact budget** (marketing only, every channel, with flow priority and the frequency cap):
  app/messaging/budget.py decides; the flow's ``smart_sending`` setting says whether a message the
  budget holds back is skipped, deferred until there is room, or sent anyway.
Transactional and requested messages are exempt from the budget.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.core.clock import Clock
from app.db.checkpoint import checkpoint
from app.db.models import Contact, Enrollment, Message, Shop
from app.db.models import decisions as decided
from app.db.models.messaging import PENDING, SKIPPED
from app.messaging.budget import ContactBudget
from app.messaging.local_time import hold_for_local_time
from flows.catalogue.common import DEFER, OFF, SKIP
from flows.decisions import Facts, record_message_decision
from flows.definitions import Flow, Purpose, Send
from flows.runner import SendOutcome
from flows.settings import flow_settings

log = logging.getLogger(__name__)

# A deferred message that would wait longer than this is skipped instead: it would arrive stale.
MAX_DEFERRAL = timedelta(days=3)
DONE = SendOutcome()


class SendRules:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def hold(
        self, shop: Shop, contact: Contact, enrollment: Enrollment, flow: Flow, step: Send, message: Message
    ) -> SendOutcome | None:
        """Return what to do instead of sending now (defer or skip, recorded on the message), or None."""
        now = self.clock.now()
        local = hold_for_local_time(self.session, shop, contact, step.channel, flow.purpose, now)
        if local is not None:
            return self._defer(message, now, local.until, local.detail, local.facts)
        if flow.purpose != Purpose.MARKETING:
            return None
        mode = flow_settings(self.session, shop.id, flow.key).params.get("smart_sending", SKIP)
        if mode == OFF:
            return None
        held = ContactBudget(self.session).held(shop, contact, enrollment, flow, now)
        if held is None:
            return None
        reason, until = held.reason, held.until
        facts = {
            "rule": reason.split(":")[0],
            "mode": mode,
            "until": until,
            "waits_for_higher_flow": held.waits,
        }
        first_tried = datetime.fromisoformat(message.timeline[0]["at"]) if message.timeline else now
        if (mode == DEFER or held.waits) and until - first_tried <= MAX_DEFERRAL:
            detail = f"{reason}: deferred to {until:%Y-%m-%d %H:%M} UTC"
            return self._defer(message, now, until, detail, facts)
        message.record(SKIPPED, now, reason)
        record_message_decision(self.session, message, decided.SKIPPED, reason, now, facts)
        checkpoint(self.session)
        log.info("message %s skipped: %s", message.id, reason)
        return DONE

    def _defer(
        self, message: Message, now: datetime, until: datetime, detail: str, facts: Facts
    ) -> SendOutcome:
        if message.detail != detail:
            message.record(PENDING, now, detail)
            record_message_decision(self.session, message, decided.DEFERRED, detail, now, facts)
            checkpoint(self.session)
        log.info("message %s deferred: %s", message.id, detail)
        return SendOutcome(retry_at=until)
