"""Carry out one Send step: decide whether it may go, render it, hand it to the provider once.

The ``message`` row, unique per (enrollment, step), is the at-most-once guard: it is created once,
claimed by exactly one worker (pending → sending, a conditional update), and only that worker calls
the provider. Every decision, including "skipped: no consent", is recorded on the row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.clock import Clock
from app.core.config import Config
from app.db import affected_rows
from app.db.checkpoint import checkpoint, in_batch
from app.db.ids import next_id
from app.db.models import Checkout, Contact, Enrollment, Message, Shop
from app.db.models import decisions as decided
from app.db.models.automation import ACTIVE
from app.db.models.messaging import AFTER_SEND, FAILED, PENDING, SENDING, SENT, SKIPPED
from app.db.reads import remember, remembered
from app.design.brand import shop_brand
from app.messaging.channel import Channel, OutgoingMessage, ShopChannels
from app.messaging.content import ContentBuilder
from app.messaging.context import message_context
from app.messaging.designed import render_message
from app.messaging.languages import (
    DEFAULT_LANGUAGE,
    LanguageChoice,
    choose_language,
    language_name,
    shop_language,
)
from app.messaging.link_policy import message_link_policy
from app.messaging.links import LinkRewriter, click_url
from app.messaging.recipients import address_problem, needs_consent, recipient, unreachable
from app.messaging.recovery import SendRecovery
from app.messaging.render import Rendered, TemplateRenderError, render_subject
from app.messaging.send_errors import ExpiredSubscriptionError, PermanentSendError, TransientSendError
from app.messaging.send_rules import SendRules
from app.messaging.signed_links import unsubscribe_url
from app.messaging.suppression import suppression_reason
from app.push.subscriptions import forget_expired
from app.shops.platform import DiscountIssuer, PlatformDirectory
from app.shops.settings import sender_identity
from app.storecheck.cache import LiveCache
from app.storecheck.check import StoreCheck
from flows.ab import Variant, ab_facts, variant_for, variant_hold
from flows.conditions import check_guard
from flows.decisions import consent_facts, record_message_decision, sent_facts
from flows.definitions import Flow, Send
from flows.runner import SendOutcome
from flows.settings import flow_overrides, flow_settings
from flows.subjects import Subject, load_subject
from webhooks.twilio.status import status_callback_url

log = logging.getLogger(__name__)

FINAL_STATUSES = frozenset({SENT, FAILED, SKIPPED, *AFTER_SEND})
SENDING_LEASE = timedelta(minutes=10)
MESSAGE_ROWS = "message_rows"  # (enrollment id, step index) → its message row, for shared reads


DONE = SendOutcome()


def retry_delay(attempt: int) -> timedelta:
    """Back off 30 s, 2 min, 8 min, 32 min, then hourly."""
    return min(timedelta(seconds=30 * 4 ** max(attempt - 1, 0)), timedelta(hours=1))


class MessageSender:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        channels: ShopChannels,
        config: Config,
        platforms: PlatformDirectory,
        live_cache: LiveCache,
    ) -> None:
        self.session = session
        self.clock = clock
        self.channels = channels  # the shop's own provider accounts, else the deployment's
        self.config = config
        self.platforms = platforms
        self.live_cache = live_cache

    def send(self, enrollment: Enrollment, flow: Flow, step: Send, index: int) -> SendOutcome | Delivery:
        """Claim the message for this step and return its provider call, or say why it does not go now."""
        stop = check_guard(flow.guard, self.session, enrollment, self.clock.now())
        if stop:
            return SendOutcome(exit_reason=stop)
        message = self._message_row(enrollment, flow, step, index)
        now = self.clock.now()
        if message.status in FINAL_STATUSES:
            return DONE
        test = flow_settings(self.session, enrollment.shop_id, flow.key).ab_tests.get(step.setting)
        variant = test.variant(message.variant) if test is not None else None
        held_back = variant_hold(_made_at(message), variant)
        if held_back is not None and held_back > now:
            return SendOutcome(retry_at=held_back)
        shop = self.session.get_one(Shop, enrollment.shop_id)
        if message.status == SENDING:
            settled = self._recovery(self.channels(shop, step.channel)).settle(message, now)
            if settled is not None:
                return settled
        contact = self.session.get_one(Contact, enrollment.contact_id)
        subject = load_subject(self.session, enrollment.shop_id, enrollment.subject_key)
        reason = self._refusal(flow, step, contact, subject)
        if reason:
            message.record(SKIPPED, now, reason)
            record_message_decision(
                self.session, message, decided.SKIPPED, reason, now, consent_facts(contact, step.channel)
            )
            checkpoint(self.session)
            log.info("skipped %s step %d for contact %s: %s", flow.key, index, contact.id, reason)
            return DONE
        held = SendRules(self.session, self.clock).hold(shop, contact, enrollment, flow, step, message)
        if held is None:
            held = self._store_check(shop).hold(shop, flow, enrollment, subject, message)
        if held is not None:
            return held
        content = ContentBuilder(self.session, self.clock, self.config, self._discount_issuer).build(
            shop, contact, subject, enrollment, flow, step, message
        )
        if content.outcome is not None:
            return content.outcome
        try:
            outgoing, fallback, language = self._compose(
                shop, contact, subject, enrollment, step, message, content.variables, variant
            )
        except TemplateRenderError as exc:
            message.record(FAILED, now, f"template error: {exc}")
            record_message_decision(self.session, message, decided.FAILED, f"template error: {exc}", now)
            checkpoint(self.session)
            log.error("message %s not sent: %s", message.id, exc)
            return DONE
        if not self._claim(message, enrollment, now):
            return SendOutcome(retry_at=now + SENDING_LEASE * self.clock.speedup)
        facts = {**content.facts, "language": language.language, **ab_facts(test)}
        return Delivery(self, message, outgoing, self.channels(shop, step.channel), facts, fallback)

    def _discount_issuer(self, shop: Shop) -> DiscountIssuer:
        """Make codes on the shop's platform (the flow simulator makes them up instead)."""
        return self.platforms.of(shop).discount_issuer(self.session, shop)

    def _store_check(self, shop: Shop) -> StoreCheck:
        """Check with the shop's live store, its answers shared for a minute (app/storecheck/)."""
        live = self.platforms.of(shop).live_store(self.session, shop)
        return StoreCheck(self.session, self.clock, live, self.live_cache)

    def _message_row(self, enrollment: Enrollment, flow: Flow, step: Send, index: int) -> Message:
        query = select(Message).filter_by(enrollment_id=enrollment.id, step_index=index)
        key = (enrollment.id, index)
        message = remembered(self.session, MESSAGE_ROWS, key, lambda: self.session.scalars(query).first())
        if message is not None:
            return message
        settings = flow_settings(self.session, enrollment.shop_id, flow.key)
        variant = variant_for(flow.key, step, enrollment.contact_id, settings.ab_tests.get(step.setting))
        message = Message(
            shop_id=enrollment.shop_id,
            enrollment_id=enrollment.id,
            contact_id=enrollment.contact_id,
            step_index=index,
            flow_key=flow.key,
            channel=step.channel,
            template=variant.template,
            variant=variant.name,
            timeline=[{"status": PENDING, "at": self.clock.now().isoformat()}],
        )
        if in_batch(self.session):
            # The enrollment is this batch's (claimed, and its row version checked at the commit),
            # so no other writer makes this row meanwhile; a duplicate would fail the batch's commit.
            drawn = next_id(self.session, Message.__tablename__)
            message.attempts = 0
            self.session.add(message)
            if drawn is None:
                self.session.flush()  # SQLite: no sequence to draw ids from, so the id comes from the INSERT
            else:
                message.id = drawn
            remember(self.session, MESSAGE_ROWS, {key: message})
            return message
        try:
            with self.session.begin_nested():
                self.session.add(message)
        except IntegrityError:
            return self.session.scalars(query).one()
        checkpoint(self.session)
        return message

    def _recovery(self, channel: Channel) -> SendRecovery:
        """Settle calls that ended without an answer by asking the provider (app/messaging/recovery.py)."""
        lease = SENDING_LEASE * self.clock.speedup
        return SendRecovery(self.session, channel, lease, self.clock.speedup, self.config.send_max_attempts)

    def _refusal(self, flow: Flow, step: Send, contact: Contact, subject: Subject | None) -> str | None:
        found = recipient(self.session, contact, step.channel)
        if found is None:
            return unreachable(step.channel)
        address = found.address
        problem = address_problem(step.channel, address)
        if problem:
            return problem
        if needs_consent(step.channel, flow.purpose) and not contact.consents_to(step.channel):
            state = contact.email_consent if step.channel == "email" else contact.sms_consent
            return f"no {step.channel} marketing consent ({state or 'never given'})"
        suppressed = suppression_reason(self.session, contact.shop_id, step.channel, address)
        if suppressed:
            return f"address suppressed ({suppressed})"
        if isinstance(subject, Checkout) and not subject.recovery_url:
            return "no recovery link for this checkout"
        return None

    def _compose(
        self,
        shop: Shop,
        contact: Contact,
        subject: Subject | None,
        enrollment: Enrollment,
        step: Send,
        message: Message,
        extras: dict[str, Any],
        variant: Variant | None = None,
    ) -> tuple[OutgoingMessage, str | None, LanguageChoice]:
        """Render the message (the A/B variant's, when the shopper drew one) in the shopper's language;
        also say why the merchant's template was set aside, when it was."""
        link = unsubscribe_url(
            self.config.app_url, self.config.secret_key, shop.id, contact.id, step.channel, message.id
        )
        overrides = flow_overrides(self.session, shop.id, enrollment.flow_key)
        template = message.template
        language = choose_language(template, contact.locale, shop_language(shop.settings), overrides)
        context = message_context(shop, contact, subject, link, extras, language)
        rendered = render_message(
            template, step.channel, context, overrides, shop_brand(shop.settings), language
        )
        if rendered.fallback:
            # A merchant's template broke after it was saved (new data): send the bundled one.
            message.record(
                PENDING, self.clock.now(), f"custom template failed, sent the default: {rendered.fallback}"
            )
            log.warning("message %s: custom template failed, default used: %s", message.id, rendered.fallback)
        if rendered.warning:
            message.record(PENDING, self.clock.now(), rendered.warning)
        if variant is not None and variant.subject and step.channel != "sms":
            rendered = replace(rendered, subject=render_subject(template, context, variant.subject))
        rendered = self._track_links(rendered, message, shop)
        found = recipient(self.session, contact, step.channel)
        assert found is not None
        identity = sender_identity(shop, self.config)
        message.to_address = found.address
        message.subject = rendered.subject
        message.body_text = rendered.text
        message.body_html = rendered.html
        headers = {}
        if step.channel == "email":
            # RFC 8058 one-click unsubscribe; Gmail and Yahoo require it of bulk senders.
            headers = {
                "List-Unsubscribe": f"<{link}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        outgoing = OutgoingMessage(
            channel=step.channel,
            to=found.to,
            text=rendered.text,
            reference=str(message.id),
            sender_address=identity.address,
            sender_name=identity.name,
            subject=rendered.subject,
            html=rendered.html,
            headers=headers,
            category=enrollment.flow_key,
            status_callback=status_callback_url(self.config.app_url, message.id)
            if step.channel == "sms"
            else None,
            provider_click_tracking=self.config.sendgrid_click_tracking if step.channel == "email" else None,
            push_keys=found.push_keys,
            url=rendered.url,
        )
        return outgoing, rendered.fallback, language

    def _track_links(self, rendered: Rendered, message: Message, shop: Shop) -> Rendered:
        """Vet the message's links (``link_policy.py``) and swap them for our tracked ones, unless
        SendGrid counts the clicks of emails."""
        app_url, secret_key = self.config.app_url, self.config.secret_key
        policy = message_link_policy(self.session, self.platforms.of(shop), shop, message, app_url)
        tracking = not (message.channel == "email" and self.config.sendgrid_click_tracking)
        rewriter = LinkRewriter(
            tracked=(lambda index: click_url(app_url, secret_key, message.id, index)) if tracking else None,
            keep=lambda url: url.startswith(f"{app_url}/u/"),
            vet=policy.target,
        )
        tracked = replace(
            rendered,
            text=rewriter.text(rendered.text),
            html=rewriter.html(rendered.html) if rendered.html is not None else None,
            url=rewriter.text(rendered.url) if rendered.url is not None else None,
        )
        message.links = rewriter.urls
        return tracked

    def _claim(self, message: Message, enrollment: Enrollment, now: datetime) -> bool:
        """Move pending → sending if the enrollment is still active and unchanged; one worker wins."""
        if in_batch(self.session):
            # The batch checks all its enrollments at once before any call (``changed_since_loaded``
            # in flows/runner.py) and commits every claim together.
            message.status = SENDING
            message.claimed_at = now
            message.attempts += 1
            return True
        still_active = self.session.scalars(
            select(Enrollment.id).where(
                Enrollment.id == enrollment.id,
                Enrollment.state == ACTIVE,
                Enrollment.run_token == enrollment.run_token,
            )
        ).first()
        if still_active is None:
            # The enrollment moved on meanwhile: forget this render (rolling back would also undo
            # the rest of a batch); the enrollment's own write then fails as stale.
            self.session.expire(message)
            return False
        claimed = affected_rows(
            self.session.execute(
                update(Message)
                .where(Message.id == message.id, Message.status == PENDING)
                .values(status=SENDING, claimed_at=now, attempts=Message.attempts + 1)
                .execution_options(synchronize_session=False)
            )
        )
        checkpoint(self.session)
        if claimed:
            self.session.refresh(message)
        return bool(claimed)

    def record_answer(
        self, delivery: Delivery, answer: str | TransientSendError | PermanentSendError
    ) -> SendOutcome:
        """Record the provider's answer to a delivery: sent, retry later, or failed for good."""
        message, channel = delivery.message, delivery.channel
        message.provider = channel.provider
        if isinstance(answer, TransientSendError):
            now = self.clock.now()
            if answer.unanswered:
                return self._recovery(channel).unanswered(message, now, answer)
            if message.attempts >= self.config.send_max_attempts:
                message.record(FAILED, now, f"gave up after {message.attempts} attempts: {answer}")
                record_message_decision(self.session, message, decided.FAILED, message.detail or "", now)
                checkpoint(self.session)
                log.error("message %s failed for good: %s", message.id, answer)
                return DONE
            retry_at = now + retry_delay(message.attempts)
            message.record(PENDING, now, f"attempt {message.attempts} failed, retrying: {answer}")
            retry = {"rule": "provider_retry", "attempt": message.attempts, "until": retry_at}
            record_message_decision(self.session, message, decided.DEFERRED, message.detail or "", now, retry)
            checkpoint(self.session)
            log.warning("message %s will be retried at %s: %s", message.id, retry_at, answer)
            return SendOutcome(retry_at=retry_at)
        if isinstance(answer, PermanentSendError):
            if isinstance(answer, ExpiredSubscriptionError):
                forget_expired(self.session, message.shop_id, answer.endpoint)
            message.record(FAILED, self.clock.now(), str(answer))
            record_message_decision(self.session, message, decided.FAILED, str(answer), self.clock.now())
            checkpoint(self.session)
            log.error("message %s refused by %s: %s", message.id, channel.provider, answer)
            return DONE
        message.provider_message_id = answer or None
        message.sent_at = self.clock.now()
        message.record(SENT, message.sent_at)
        decision_facts = {**sent_facts(message), **delivery.facts}
        language = delivery.facts.get("language") or DEFAULT_LANGUAGE
        reason = "sent" if language == DEFAULT_LANGUAGE else f"sent in {language_name(language)}"
        if delivery.fallback:
            decision_facts["template_fallback"] = delivery.fallback
            reason = f"sent with the bundled template: the custom one failed ({delivery.fallback})"
        record_message_decision(self.session, message, decided.SENT, reason, message.sent_at, decision_facts)
        checkpoint(self.session)
        log.info(
            "shop %s: sent message %s (%s %s)", message.shop_id, message.id, message.flow_key, message.channel
        )
        return DONE


def _made_at(message: Message) -> datetime:
    """When the step first reached this message, in flow time (its first timeline entry)."""
    return datetime.fromisoformat(message.timeline[0]["at"])


@dataclass
class Delivery:
    """A message claimed pending → sending, its provider call still to be made (a ``ProviderCall``).

    ``call`` only talks to the provider, so a batch makes many at once on threads; ``settle``
    records the answer through the sender's session, on the thread that owns it.
    """

    sender: MessageSender
    message: Message
    outgoing: OutgoingMessage
    channel: Channel
    facts: dict[str, Any]
    fallback: str | None = None

    def call(self) -> str | TransientSendError | PermanentSendError:
        """Hand the message to the provider: its id for the message, or the error it ended with."""
        try:
            return self.channel.send(self.outgoing)
        except (TransientSendError, PermanentSendError) as exc:
            return exc

    def unsettled(self) -> bool:
        return self.message.status == SENDING

    def settle(self, answer: object) -> SendOutcome:
        if not isinstance(answer, str | TransientSendError | PermanentSendError):
            raise TypeError(f"not a provider answer: {answer!r}")
        return self.sender.record_answer(self, answer)
