"""Send-time rules that hold a message back: local send time, smart sending and the frequency cap.

- **Local send time** (every channel, ``app/messaging/local_time.py``): outside the shop's hours for
  the channel (Settings; SMS quiet 21:00-08:00, push 08:00-21:00, email any time unless changed) in
  the shopper's time zone, the message is deferred to the end of them, never dropped.
- **Smart sending** (marketing only): a shopper who got a marketing message on the same channel
  within the window (Settings; 16 hours unless changed) from a flow ranked at least as high is not
  messaged again; the flow's ``smart_sending`` setting says whether to skip or defer. A flow's own
  earlier messages do not count: its cadence is the merchant's choice.
- **Frequency cap** (marketing only, every channel): at most N marketing messages per D days.
Transactional and requested messages are exempt from the last two.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.messaging.local_time import hold_for_local_time
from app.models import Contact, Enrollment, Message, Shop
from app.models import decisions as decided
from app.models.messaging import PENDING, SKIPPED
from app.shop_settings import frequency_cap, smart_sending_window
from flows.catalogue import CATALOGUE
from flows.catalogue.common import DEFER, OFF, SKIP
from flows.decisions import Facts, record_message_decision
from flows.definitions import Flow, Purpose, Send
from flows.runner import SendOutcome
from flows.settings import settings_for_shop

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
        mode = settings_for_shop(self.session, shop.id)[flow.key].params.get("smart_sending", SKIP)
        if mode == OFF:
            return None
        blocked = self._blocked(shop, contact, enrollment, flow, step, now)
        if blocked is None:
            return None
        reason, until = blocked
        facts = {"rule": reason.split(":")[0], "mode": mode, "until": until}
        first_tried = datetime.fromisoformat(message.timeline[0]["at"]) if message.timeline else now
        if mode == DEFER and until - first_tried <= MAX_DEFERRAL:
            detail = f"{reason}: deferred to {until:%Y-%m-%d %H:%M} UTC"
            return self._defer(message, now, until, detail, facts)
        message.record(SKIPPED, now, reason)
        record_message_decision(self.session, message, decided.SKIPPED, reason, now, facts)
        self.session.commit()
        log.info("message %s skipped: %s", message.id, reason)
        return DONE

    def _defer(
        self, message: Message, now: datetime, until: datetime, detail: str, facts: Facts
    ) -> SendOutcome:
        if message.detail != detail:
            message.record(PENDING, now, detail)
            record_message_decision(self.session, message, decided.DEFERRED, detail, now, facts)
            self.session.commit()
        log.info("message %s deferred: %s", message.id, detail)
        return SendOutcome(retry_at=until)

    def _blocked(
        self, shop: Shop, contact: Contact, enrollment: Enrollment, flow: Flow, step: Send, now: datetime
    ) -> tuple[str, datetime] | None:
        """Return why and until when a recent marketing message holds this one back, or None."""
        window = smart_sending_window(shop)
        cap = frequency_cap(shop)
        horizon = max(window, timedelta(days=cap[1]) if cap else timedelta(0))
        if not horizon:
            return None
        rows = self.session.execute(
            select(Message.flow_key, Message.channel, Message.sent_at).where(
                Message.contact_id == contact.id,
                Message.enrollment_id != enrollment.id,
                Message.sent_at.is_not(None),
                Message.sent_at > now - horizon,
            )
        ).all()
        marketing: list[tuple[Flow, str, datetime]] = [
            (CATALOGUE[key], channel, at)
            for key, channel, at in rows
            if at is not None and key in CATALOGUE and CATALOGUE[key].purpose == Purpose.MARKETING
        ]
        if window:
            recent = [
                (other, at)
                for other, channel, at in marketing
                if channel == step.channel and at > now - window and other.priority >= flow.priority
            ]
            if recent:
                other, at = max(recent, key=lambda pair: pair[1])
                hours = (now - at).total_seconds() / 3600
                reason = (
                    f"smart sending: {other.name} {step.channel} sent {hours:.0f} h ago "
                    f"(window {window.total_seconds() / 3600:g} h)"
                )
                return reason, at + window
        if cap:
            messages, days = cap
            period = timedelta(days=days)
            counted = sorted(at for _, _, at in marketing if at > now - period)
            if len(counted) >= messages:
                reason = f"frequency cap: {messages} marketing messages per {days} days reached"
                return reason, counted[len(counted) - messages] + period
        return None
