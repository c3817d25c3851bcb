"""Settle a message whose provider call ended without an answer: ask before sending it again.

A message is ``sending`` from its claim until the provider answers. It stays there when the worker
died during the call (SIGKILL, a lost dyno) or when the call timed out or lost its answer, and in
both cases the provider may have accepted it. Sending again blindly would risk a duplicate; giving
up would lose a message that never left. So once the provider's records can be trusted to show the
attempt, we look:

1. at what the provider already told us about the message (SendGrid's event webhook, Twilio's status
   callbacks, a click on one of its links): any event proves it was accepted;
2. in the provider's own records (``SentLookup``): SendGrid's Email Activity API by our
   ``storeflow_message_id`` (an add-on; without it SendGrid answers 403), Twilio's message log by
   recipient, time and text.

Accepted: the message is sent, with the provider's id. Not found: it goes back to ``pending`` and
is sent again, as a new attempt. No way to tell (the dev outbox, a SendGrid account without the
add-on): an unanswered call is sent again, as any transient failure always was, while a worker that
died mid-call leaves the message failed rather than risk a duplicate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from app.db import affected_rows
from app.db.checkpoint import checkpoint
from app.db.models import Message, MessageEvent
from app.db.models import decisions as decided
from app.db.models.messaging import FAILED, PENDING, SENDING, SENT
from app.messaging.channel import Channel, SentLookup, SentQuery
from app.messaging.send_errors import LookupUnavailableError, LookupUnsupportedError
from flows.decisions import record_message_decision, sent_facts
from flows.runner import SendOutcome

log = logging.getLogger(__name__)

LOOKUP_RETRY = timedelta(minutes=2)


def unanswered(message: Message) -> bool:
    """Tell whether the last attempt's call ended without an answer (recorded by its sender).

    A claim does not write the timeline, so a ``sending`` entry last is the sender's own note that
    the call timed out; without it, the worker that claimed the message never came back.
    """
    return bool(message.timeline) and message.timeline[-1].get("status") == SENDING


@dataclass
class SendRecovery:
    """Find out what became of a ``sending`` message and move it on; one per step run.

    ``lease`` is how long a claim may stay unanswered before its worker is taken for dead, and
    ``speedup`` converts the provider's settle time to flow time, both as the sender's clock runs.
    """

    session: Session
    channel: Channel
    lease: timedelta
    speedup: float
    max_attempts: int

    def unanswered(self, message: Message, now: datetime, error: Exception) -> SendOutcome:
        """Record a call that lost its answer; the message stays ``sending`` until the provider is asked."""
        message.record(
            SENDING,
            now,
            f"attempt {message.attempts} got no answer ({error}); "
            f"{self.channel.provider} will be asked whether it arrived before any resend",
        )
        checkpoint(self.session)
        log.warning("message %s: no answer from %s: %s", message.id, self.channel.provider, error)
        return SendOutcome(retry_at=max(self.due(message), now))

    def settle(self, message: Message, now: datetime) -> SendOutcome | None:
        """Return what the step should do next, or None when the message is pending again (send it)."""
        due = self.due(message)
        if now < due:
            return SendOutcome(retry_at=due)
        provider = self.channel.provider
        try:
            provider_id = self._find(message)
        except LookupUnavailableError as exc:
            log.warning("message %s: could not ask %s whether it was sent: %s", message.id, provider, exc)
            return SendOutcome(retry_at=now + LOOKUP_RETRY * self.speedup)
        except LookupUnsupportedError as exc:
            if unanswered(message):
                return self._again(message, now, f"{provider} cannot tell whether it arrived ({exc})")
            message.record(
                FAILED,
                now,
                f"worker stopped during the provider call and {provider} cannot tell whether the "
                f"message arrived ({exc}); not resent to avoid a duplicate",
            )
            record_message_decision(self.session, message, decided.FAILED, message.detail or "", now)
            checkpoint(self.session)
            return SendOutcome()
        if provider_id is None:
            return self._again(message, now, f"{provider} has no record of attempt {message.attempts}")
        message.provider = provider
        message.provider_message_id = provider_id
        message.sent_at = message.claimed_at or now
        message.record(SENT, now, f"{provider} had accepted attempt {message.attempts}; not resent")
        record_message_decision(
            self.session, message, decided.SENT, message.detail or "", now, sent_facts(message)
        )
        checkpoint(self.session)
        log.info("message %s: %s confirms it accepted the last attempt", message.id, provider)
        return SendOutcome()

    def due(self, message: Message) -> datetime:
        """When to look: the provider's settle time after an unanswered call, the lease after a claim."""
        attempted = message.claimed_at
        if attempted is None:
            return message.created_at
        if not unanswered(message):
            return attempted + self.lease
        settle = self.channel.settle if isinstance(self.channel, SentLookup) else timedelta(0)
        return attempted + settle * self.speedup

    def _find(self, message: Message) -> str | None:
        """Return a provider id (or a note) if the provider accepted the message, None if it did not."""
        if self._has_events(message):
            return message.provider_message_id or f"{self.channel.provider} reported on it"
        if not isinstance(self.channel, SentLookup):
            raise LookupUnsupportedError(f"{self.channel.provider} keeps no record we can search")
        query = SentQuery(
            reference=str(message.id),
            to=message.to_address or "",
            text=message.body_text or "",
            attempted_at=message.claimed_at or message.created_at,
        )
        return self.channel.find_sent(query)

    def _has_events(self, message: Message) -> bool:
        """Tell whether the provider (or a shopper's click) already reported on this message."""
        return bool(self.session.scalar(select(exists().where(MessageEvent.message_id == message.id))))

    def _again(self, message: Message, now: datetime, why: str) -> SendOutcome | None:
        """Send again as a new attempt, unless the attempts are spent."""
        if message.attempts >= self.max_attempts:
            message.record(FAILED, now, f"gave up after {message.attempts} attempts: {why}")
            record_message_decision(self.session, message, decided.FAILED, message.detail or "", now)
            checkpoint(self.session)
            log.error("message %s failed for good: %s", message.id, why)
            return SendOutcome()
        reopened = affected_rows(
            self.session.execute(
                update(Message)
                .where(Message.id == message.id, Message.status == SENDING)
                .values(status=PENDING)
                .execution_options(synchronize_session=False)
            )
        )
        if not reopened:  # another run settled it first
            self.session.expire(message)
            return SendOutcome(retry_at=now + self.lease)
        message.record(PENDING, now, f"{why}; sending again")
        checkpoint(self.session)
        log.warning("message %s: %s; sending again", message.id, why)
        return None
