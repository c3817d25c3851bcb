"""Record an accepted signup: the contact, its consent per channel with the form as its source, and
the events that start the double opt-in or the welcome series.

This is the path the notify-me form takes (``app/web/storefront/notify.py``): ``upsert_contact``,
``hold_for_confirmation`` and ``subscription_triggers``, so a form signup is held ``pending`` and
confirmed by the double opt-in flow unless the shop chose single opt-in, and a confirmed
subscriber enters the welcome series through its usual trigger (``CONTACT_SUBSCRIBED``).

Each ledger row keeps the version of the wording this form showed, not the shop's general one:
that is what the shopper agreed to. SMS has no confirmation message yet, so under double opt-in a
ticked SMS box is kept ``pending`` and sends nothing; under single opt-in it subscribes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.consent.ledger import wording_version
from app.core.events import EventKind, TriggerEvent
from app.core.facts import ConsentFacts, ConsentState, ContactFacts, Origin
from app.db.models import Contact, FormSubmission, SignupForm
from app.forms.design import FormDesign
from app.forms.submission import Submission
from app.ingest.contacts import apply_consent, upsert_contact
from app.ingest.subscriptions import hold_for_confirmation, subscription_triggers

SOURCE_PREFIX = "storefront:form:"


def form_source(form_id: int) -> str:
    """How the consent ledger names a signup form: ``storefront:form:<id>``."""
    return f"{SOURCE_PREFIX}{form_id}"


@dataclass(frozen=True)
class Signup:
    contact: Contact
    events: list[TriggerEvent]


def record_signup(
    session: Session,
    form: SignupForm,
    design: FormDesign,
    submission: Submission,
    now: datetime,
    origin: Origin,
    double_opt_in: bool,
) -> Signup:
    """Store the signup and return the contact and the events for the flows engine to handle."""
    contact = upsert_contact(
        session,
        form.shop_id,
        ContactFacts(
            email=submission.email,
            phone=submission.phone,
            first_name=submission.first_name,
            birthday=submission.birthday,
        ),
    )
    assert contact is not None  # an email address always identifies a contact
    session.flush()
    source = form_source(form.id)
    before = contact.email_consent
    email = ConsentFacts(
        "email",
        ConsentState.SUBSCRIBED,
        source,
        now,
        grant_only=True,
        origin=origin,
        disclosure_version=wording_version(design.email_wording),
    )
    apply_consent(contact, hold_for_confirmation(contact, email, double_opt_in))
    if submission.sms_consent and submission.phone:
        already = contact.sms_consent == ConsentState.SUBSCRIBED
        state = ConsentState.PENDING if double_opt_in and not already else ConsentState.SUBSCRIBED
        sms = ConsentFacts(
            "sms",
            state,
            source,
            now,
            grant_only=True,
            phone=submission.phone,
            origin=origin,
            disclosure_version=wording_version(design.sms_wording),
        )
        apply_consent(contact, sms)
    session.add(
        FormSubmission(
            shop_id=form.shop_id,
            form_id=form.id,
            contact_id=contact.id,
            sms_opt_in=submission.sms_consent,
            submitted_at=now,
        )
    )
    events = subscription_triggers(form.shop_id, contact, before, now, pending=EventKind.SIGNUP_PENDING)
    return Signup(contact, events)
