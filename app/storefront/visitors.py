"""Link storefront visitors to contacts, only ever through a proof of who the shopper is.

Three things prove it: our signed click link (``identity.py``), a checkout the platform told us
about whose token the browser reported, and a login the platform signed (Shopify's app proxy
``logged_in_customer_id``). Each is something only that shopper had, so each sets the link, and
the latest wins: a shared computer belongs to whoever last proved who they are. A customer id a
page merely names proves nothing and links nobody (issue 14.2). A login never creates a contact:
it names one the platform already told us about.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import affected_rows
from app.db.models import Checkout, Contact, StorefrontEvent, Visitor
from app.db.models.storefront import LINKED_BY_CHECKOUT


def link(visitor: Visitor, contact_id: int, source: str, at: datetime) -> bool:
    """Link the visitor to the contact a proof named; return whether that changed anything."""
    if visitor.contact_id == contact_id:
        return False
    visitor.contact_id = contact_id
    visitor.linked_by = source
    visitor.linked_at = at
    return True


def contact_of_checkout(session: Session, shop_id: int, token: str) -> int | None:
    """Return the contact a checkout belongs to, once the platform has told us."""
    return session.scalars(
        select(Checkout.contact_id).where(
            Checkout.shop_id == shop_id, Checkout.token == token, Checkout.contact_id.is_not(None)
        )
    ).first()


def contact_of_customer(session: Session, shop_id: int, customer_id: str) -> int | None:
    """Return the contact with this platform customer id, if the platform has told us of one."""
    return session.scalars(
        select(Contact.id).where(Contact.shop_id == shop_id, Contact.platform_customer_id == customer_id)
    ).first()


def link_checkout_visitors(session: Session, shop_id: int, token: str, contact_id: int, at: datetime) -> int:
    """Link every visitor who reported starting this checkout to the contact it turned out to be."""
    reported = select(StorefrontEvent.visitor_key).where(
        StorefrontEvent.shop_id == shop_id, StorefrontEvent.checkout_token == token
    )
    result = session.execute(
        update(Visitor)
        .where(
            Visitor.shop_id == shop_id,
            Visitor.visitor_key.in_(reported),
            (Visitor.contact_id.is_(None)) | (Visitor.contact_id != contact_id),
        )
        .values(contact_id=contact_id, linked_by=LINKED_BY_CHECKOUT, linked_at=at)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result)


def events_of_contact(
    session: Session, shop_id: int, contact_id: int, kinds: tuple[str, ...], since: datetime
) -> list[StorefrontEvent]:
    """Return what the contact's browsers reported of these kinds since then, latest first."""
    return list(
        session.scalars(
            select(StorefrontEvent)
            .join(
                Visitor,
                (Visitor.shop_id == StorefrontEvent.shop_id)
                & (Visitor.visitor_key == StorefrontEvent.visitor_key),
            )
            .where(
                StorefrontEvent.shop_id == shop_id,
                Visitor.contact_id == contact_id,
                StorefrontEvent.kind.in_(kinds),
                StorefrontEvent.occurred_at >= since,
            )
            .order_by(StorefrontEvent.occurred_at.desc(), StorefrontEvent.id.desc())
        )
    )
