"""Email subscriptions as flows see them: subscribed, unsubscribed, or pending a double opt-in.

With the double opt-in flow switched on, a new email subscription is held as ``pending`` until the
shopper confirms through the link that flow sends; only then do marketing flows reach them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.events import EventKind, TriggerEvent, subject_key
from app.core.facts import ConsentFacts, ConsentState
from app.db.models import Contact, FlowSetting
from flows.catalogue import get_flow

DOUBLE_OPT_IN = "double_opt_in"
CONFIRMED_SOURCE = "storeflow:double_opt_in"


def double_opt_in_required(session: Session, shop_id: int) -> bool:
    """Tell whether the shop switched on the double opt-in flow."""
    enabled = session.scalars(
        select(FlowSetting.enabled).filter_by(shop_id=shop_id, flow_key=DOUBLE_OPT_IN)
    ).first()
    return get_flow(DOUBLE_OPT_IN).enabled_by_default if enabled is None else bool(enabled)


def hold_for_confirmation(contact: Contact, consent: ConsentFacts, required: bool) -> ConsentFacts:
    """Hold a new email subscription as pending while the shop asks new subscribers to confirm."""
    if (
        required
        and consent.channel == "email"
        and consent.state == ConsentState.SUBSCRIBED
        and consent.source != CONFIRMED_SOURCE
        and contact.email_consent != ConsentState.SUBSCRIBED
    ):
        return replace(consent, state=ConsentState.PENDING)
    return consent


def subscription_triggers(
    shop_id: int,
    contact: Contact,
    before: str | None,
    at: datetime,
    pending: EventKind = EventKind.SUBSCRIPTION_PENDING,
) -> list[TriggerEvent]:
    """Return the events a change of the contact's email consent means to flows.

    ``pending`` is what a subscription held for confirmation starts: ``SIGNUP_PENDING`` when it
    came through one of our public forms, whose confirmation is sent even with the flow off.
    """
    after = contact.email_consent
    if after == before:
        return []
    kind = {
        ConsentState.SUBSCRIBED.value: EventKind.CONTACT_SUBSCRIBED,
        ConsentState.PENDING.value: pending,
    }.get(after or "")
    if kind is None and before == ConsentState.SUBSCRIBED:
        kind = EventKind.CONTACT_UNSUBSCRIBED
    if kind is None:
        return []
    return [TriggerEvent(kind, shop_id, contact.id, subject_key("contact", str(contact.id)), at)]
