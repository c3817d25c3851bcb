"""Find-or-create contacts and merge consent statements into them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import phonenumbers
import phonenumbers.timezone
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.consent.ledger import record_consent_change
from app.core.facts import ConsentFacts, ConsentState, ContactFacts, Origin
from app.db.models import Contact
from app.db.models.rows import insert_row
from app.ingest.preload import CONTACTS_BY_CUSTOMER, CONTACTS_BY_EMAIL, preloaded, remember_contact


def normalize_phone(raw: str | None, country_code: str | None) -> str | None:
    """Return the number in E.164, or None when it is not a valid phone number."""
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, (country_code or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def upsert_contact(session: Session, shop_id: int, facts: ContactFacts | None) -> Contact | None:
    """Return the shop's contact these facts describe, creating or enriching it."""
    return find_or_create_contact(session, shop_id, facts)[0]


def find_or_create_contact(
    session: Session, shop_id: int, facts: ContactFacts | None
) -> tuple[Contact | None, bool]:
    """Like ``upsert_contact``, and say whether this call created the contact."""
    if facts is None or not facts.identifiable:
        return None, False
    phone = normalize_phone(facts.phone, facts.country_code)
    contact = _find(session, shop_id, facts, phone)
    created = False
    if contact is None:
        contact = _create(session, shop_id, facts, phone)
        created = contact is not None
        if contact is None:  # a concurrent worker created it first
            contact = _query(session, shop_id, facts, phone)
            assert contact is not None
    _merge(session, contact, facts, phone)
    remember_contact(session, contact)
    return contact, created


def _find(session: Session, shop_id: int, facts: ContactFacts, phone: str | None) -> Contact | None:
    """Find by the platform's customer id first, then by email, in one query; by phone when no email.

    Inside a page the history sync preloaded (app/ingest/preload.py), the preload answers instead.
    """
    answered = _from_preload(session, shop_id, facts)
    if answered is not None:
        return answered[0]
    return _query(session, shop_id, facts, phone)


def _query(session: Session, shop_id: int, facts: ContactFacts, phone: str | None) -> Contact | None:
    query = select(Contact).where(Contact.shop_id == shop_id)
    keys = [
        column == value
        for column, value in (
            (Contact.platform_customer_id, facts.platform_customer_id),
            (Contact.email, facts.email),
        )
        if value
    ]
    if keys:
        found = session.scalars(query.where(or_(*keys))).all()
        for field, value in (("platform_customer_id", facts.platform_customer_id), ("email", facts.email)):
            match = next((c for c in found if value and getattr(c, field) == value), None)
            if match is not None:
                return match
    if phone and not facts.email:
        return session.scalars(query.where(Contact.phone == phone).order_by(Contact.id)).first()
    return None


def _from_preload(session: Session, shop_id: int, facts: ContactFacts) -> tuple[Contact | None] | None:
    """Answer ``_find`` from the page's preload: (the contact or None), or None when it did not cover it."""
    keys = [
        (kind, value)
        for kind, value in (
            (CONTACTS_BY_CUSTOMER, facts.platform_customer_id),
            (CONTACTS_BY_EMAIL, facts.email),
        )
        if value
    ]
    answers = [preloaded(session, kind, (shop_id, value)) for kind, value in keys]
    if not answers or not all(covered for covered, _ in answers):
        return None
    found = next((row for _, row in answers if row is not None), None)
    return (found if isinstance(found, Contact) else None,)


def _create(session: Session, shop_id: int, facts: ContactFacts, phone: str | None) -> Contact | None:
    """Insert the contact whole (one statement); None when a concurrent worker stored one with its keys."""
    return insert_row(
        session,
        Contact(
            shop_id=shop_id,
            platform_customer_id=facts.platform_customer_id,
            email=facts.email,
            phone=phone,
            first_name=facts.first_name,
            last_name=facts.last_name,
            locale=facts.locale,
            country_code=facts.country_code,
            birthday=facts.birthday,
            tags=sorted(set(facts.tags)),
            timezone=zone_of_phone(phone) if phone else None,
        ),
    )


def _merge(session: Session, contact: Contact, facts: ContactFacts, phone: str | None) -> None:
    customer_id = facts.platform_customer_id
    if (
        customer_id
        and not contact.platform_customer_id
        and not _taken(session, contact, "platform_customer_id", customer_id)
    ):
        contact.platform_customer_id = customer_id
    if facts.email and contact.email != facts.email and not _taken(session, contact, "email", facts.email):
        contact.email = facts.email
    if phone:
        contact.phone = phone
    for field in ("first_name", "last_name", "locale", "country_code", "birthday"):
        value = getattr(facts, field)
        if value:
            setattr(contact, field, value)
    if facts.tags:
        contact.tags = sorted({*(contact.tags or []), *facts.tags})
    if not contact.timezone and contact.phone:
        contact.timezone = zone_of_phone(contact.phone)


def _taken(session: Session, contact: Contact, field: str, value: str) -> bool:
    """Tell whether another contact of the shop already holds this identifier."""
    other = session.scalars(
        select(Contact.id).where(
            Contact.shop_id == contact.shop_id,
            getattr(Contact, field) == value,
            Contact.id != contact.id,
        )
    ).first()
    return other is not None


def zone_of_phone(phone: str) -> str | None:
    """Return the time zone a phone number belongs to, when its zones all keep the same time now."""
    try:
        zones = phonenumbers.timezone.time_zones_for_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return None
    known = [zone for zone in zones if zone != "Etc/Unknown"]
    if not known:
        return None
    now = datetime.now(UTC)
    offsets = {now.astimezone(ZoneInfo(zone)).utcoffset() for zone in known}
    return known[-1] if len(offsets) == 1 else None


def apply_consent(contact: Contact, consent: ConsentFacts) -> bool:
    """Merge a consent statement unless a newer one is already on record; return True if it changed."""
    prefix = consent.channel
    if prefix not in {"email", "sms"}:
        return False
    current_state = getattr(contact, f"{prefix}_consent")
    current_at = getattr(contact, f"{prefix}_consent_at")
    if current_at is not None and consent.at < current_at:
        return False
    if consent.grant_only and current_state == ConsentState.SUBSCRIBED:
        return False
    if consent.channel == "sms" and consent.phone:
        phone = normalize_phone(consent.phone, contact.country_code)
        if phone:
            contact.phone = phone
    changed = current_state != consent.state.value
    record_consent_change(
        contact,
        prefix,
        current_state,
        consent.state.value,
        consent.source,
        consent.at,
        consent.origin,
        consent.disclosure_version,
    )
    setattr(contact, f"{prefix}_consent", consent.state.value)
    setattr(contact, f"{prefix}_consent_source", consent.source)
    setattr(contact, f"{prefix}_consent_at", consent.at)
    return changed


def withdraw_consent(
    contact: Contact, channel: str, source: str, at: datetime, origin: Origin | None = None
) -> None:
    """Record that the shopper withdrew marketing consent on a channel."""
    previous = getattr(contact, f"{channel}_consent")
    record_consent_change(contact, channel, previous, ConsentState.UNSUBSCRIBED.value, source, at, origin)
    setattr(contact, f"{channel}_consent", ConsentState.UNSUBSCRIBED.value)
    setattr(contact, f"{channel}_consent_source", source)
    setattr(contact, f"{channel}_consent_at", at)
