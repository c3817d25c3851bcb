"""Link storefront visitors to contacts: by our signed click link, by their checkout, or by login.

A click link and a checkout are things only the shopper had, so they always set the link (the
latest wins: a shared computer belongs to whoever last proved who they are). A login is claimed by
the page, not proven, so it only links a visitor nobody is linked to yet, and never creates a
contact: it names one the platform already told us about.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.extensions import affected_rows
from app.models import Checkout, Contact, StorefrontEvent, Visitor
from app.models.storefront import LINKED_BY_CHECKOUT, LINKED_BY_LOGIN


def link(visitor: Visitor, contact_id: int, source: str, at: datetime) -> bool:
    """Link the visitor to the contact unless a claimed login would replace a proven link."""
    if visitor.contact_id == contact_id:
        return False
    if source == LINKED_BY_LOGIN and visitor.contact_id is not None:
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
