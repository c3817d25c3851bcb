"""Send-time rules that hold a message back: SMS quiet hours and the contact budget.

- **Quiet hours** (every SMS): inside the shop's quiet hours (Settings; 21:00-08:00 unless changed)
  in the shopper's time zone, the SMS is deferred to the end of them, never dropped.
- **Contact budget** (marketing only, every channel, with flow priority and the frequency cap):
  app/messaging/budget.py decides; the flow's ``smart_sending`` setting says whether a message the
  budget holds back is skipped, deferred until there is room, or sent anyway.
Transactional and requested messages are exempt from the budget.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from app.clock import Clock
from app.messaging.budget import ContactBudget
from app.models import Contact, Enrollment, Message, Shop
from app.models.messaging import PENDING, SKIPPED
from app.shop_settings import quiet_hours
from app.zones import contact_zone
from flows.catalogue.common import DEFER, OFF, SKIP
from flows.definitions import Flow, Purpose, Send
from flows.runner import SendOutcome
from flows.settings import settings_for_shop

log = logging.getLogger(__name__)

# A deferred message that would wait longer than this is skipped instead: it would arrive stale.
MAX_DEFERRAL = timedelta(days=3)
DONE = SendOutcome()


def quiet_until(start: time, end: time, local: datetime) -> datetime | None:
    """Return when quiet hours end if ``local`` is inside them (they may span midnight), else None."""
    now = local.time()
    inside = start <= now < end if start < end else now >= start or now < end
    if not inside:
        return None
    resume = datetime.combine(local.date(), end, local.tzinfo)
    return resume if resume > local else resume + timedelta(days=1)


class SendRules:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def hold(
        self, shop: Shop, contact: Contact, enrollment: Enrollment, flow: Flow, step: Send, message: Message
    ) -> SendOutcome | None:
        """Return what to do instead of sending now (defer or skip, recorded on the message), or None."""
        now = self.clock.now()
        if step.channel == "sms":
            zone = contact_zone(contact, shop)
            start, end = quiet_hours(shop)
            resume = quiet_until(start, end, now.astimezone(zone))
            if resume is not None:
                detail = f"quiet hours ({start:%H:%M}-{end:%H:%M} {zone.key}): deferred to {resume:%H:%M}"
                return self._defer(message, now, resume, detail)
        if flow.purpose != Purpose.MARKETING:
            return None
        mode = settings_for_shop(self.session, shop.id)[flow.key].params.get("smart_sending", SKIP)
        if mode == OFF:
            return None
        held = ContactBudget(self.session).held(shop, contact, enrollment, flow, now)
        if held is None:
            return None
        reason, until = held.reason, held.until
        first_tried = datetime.fromisoformat(message.timeline[0]["at"]) if message.timeline else now
        if (mode == DEFER or held.waits) and until - first_tried <= MAX_DEFERRAL:
            return self._defer(message, now, until, f"{reason}: deferred to {until:%Y-%m-%d %H:%M} UTC")
        message.record(SKIPPED, now, reason)
        self.session.commit()
        log.info("message %s skipped: %s", message.id, reason)
        return DONE

    def _defer(self, message: Message, now: datetime, until: datetime, detail: str) -> SendOutcome:
        if message.detail != detail:
            message.record(PENDING, now, detail)
            self.session.commit()
        log.info("message %s deferred: %s", message.id, detail)
        return SendOutcome(retry_at=until)
