"""Load, for a page of facts, the contacts and orders they name in two queries instead of two each.

The history sync merges pages of hundreds of records, most of them new. Without a preload each
record asks for its contact and its order on its own (two round trips, for rows mostly absent);
inside ``shared_reads`` with this preload, ``find_or_create_contact`` and the order merge answer
from what the page loaded, and a key the page named but the preload did not find is known absent.
What the page creates is remembered as it is created, so a second order of the same new shopper
finds the contact the first one made. The shoppers the page names and nobody stored yet are
created up front in one multi-row INSERT (``create_missing_contacts``), each with the identity its
first record gives; the merge then fills in the rest as it would for any stored contact.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.core.clock import utcnow
from app.core.facts import ContactFacts, Normalized
from app.db.models import Contact, Order
from app.db.models.rows import insert_new_rows
from app.db.reads import known, remember

CONTACTS_BY_CUSTOMER = "preloaded_contacts_by_customer"  # (shop id, customer id) → Contact | None
CONTACTS_BY_EMAIL = "preloaded_contacts_by_email"  # (shop id, email) → Contact | None
ORDERS = "preloaded_orders"  # (shop id, platform id) → Order | None


def preload_page(session: Session, shop_id: int, records: Iterable[Normalized]) -> None:
    """Remember the page's contacts and orders (absent ones as None) for the shared reads' block."""
    customers, emails, orders = set(), set(), set()
    for record in records:
        if record.contact is not None:
            if record.contact.platform_customer_id:
                customers.add(record.contact.platform_customer_id)
            if record.contact.email:
                emails.add(record.contact.email)
        if record.order is not None:
            orders.add(record.order.platform_id)
    if customers or emails:
        found = session.scalars(
            select(Contact).where(
                Contact.shop_id == shop_id,
                or_(Contact.platform_customer_id.in_(customers), Contact.email.in_(emails)),
            )
        ).all()
        by_customer = {(shop_id, key): None for key in customers} | {
            (shop_id, c.platform_customer_id): c for c in found if c.platform_customer_id
        }
        by_email = {(shop_id, key): None for key in emails} | {
            (shop_id, c.email): c for c in found if c.email
        }
        remember(session, CONTACTS_BY_CUSTOMER, by_customer)
        remember(session, CONTACTS_BY_EMAIL, by_email)
        _create_missing_contacts(session, shop_id, records, by_customer, by_email)
    if orders:
        stored = session.scalars(select(Order).where(Order.shop_id == shop_id, Order.platform_id.in_(orders)))
        remember(
            session,
            ORDERS,
            {(shop_id, key): None for key in orders} | {(shop_id, o.platform_id): o for o in stored},
        )


def _create_missing_contacts(
    session: Session,
    shop_id: int,
    records: Iterable[Normalized],
    by_customer: dict[tuple[int, str], Contact | None],
    by_email: dict[tuple[int, str], Contact | None],
) -> None:
    """Insert the page's new shoppers at once: one per key, the first record naming them wins."""
    claimed: set[tuple[str, str]] = set()
    rows: list[dict[str, object]] = []
    now = utcnow()
    for record in records:
        facts = record.contact
        if facts is None:
            continue
        keys = [("customer", facts.platform_customer_id), ("email", facts.email)]
        present = [(kind, value) for kind, value in keys if value]
        stored = [
            (by_customer if kind == "customer" else by_email).get((shop_id, value)) for kind, value in present
        ]
        if not present or any(stored) or any((kind, value) in claimed for kind, value in present):
            continue
        claimed.update((kind, value) for kind, value in present if value)
        rows.append(_new_contact(shop_id, facts, now))
    for contact in insert_new_rows(session, Contact, rows):
        remember_contact(session, contact)


def _new_contact(shop_id: int, facts: ContactFacts, now: datetime) -> dict[str, object]:
    """The row a new contact starts as, as the merge would fill it (the phone is left to the merge)."""
    return {
        "shop_id": shop_id,
        "platform_customer_id": facts.platform_customer_id,
        "email": facts.email,
        "first_name": facts.first_name,
        "last_name": facts.last_name,
        "locale": facts.locale,
        "country_code": facts.country_code,
        "birthday": facts.birthday,
        "tags": sorted(set(facts.tags)),
        "created_at": now,
        "updated_at": now,
    }


def preloaded(session: Session, kind: str, key: tuple[int, str]) -> tuple[bool, object]:
    """Return (True, the row or None) when the page's preload covered ``key``; (False, None) otherwise."""
    table = known(session, kind)
    if table is None or key not in table:
        return False, None
    return True, table[key]


def remember_contact(session: Session, contact: Contact) -> None:
    """Keep a contact the page created or changed findable by its current keys."""
    if contact.platform_customer_id:
        remember(session, CONTACTS_BY_CUSTOMER, {(contact.shop_id, contact.platform_customer_id): contact})
    if contact.email:
        remember(session, CONTACTS_BY_EMAIL, {(contact.shop_id, contact.email): contact})
