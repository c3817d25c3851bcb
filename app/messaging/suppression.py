"""The suppression list: addresses a shop must not message again on a channel, and consent withdrawal."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import affected_rows
from app.db.models import Contact, Suppression
from app.ingest.contacts import withdraw_consent


def suppress(session: Session, shop_id: int, channel: str, address: str, reason: str) -> bool:
    """Put the address on the shop's list for the channel unless it is there; True when added."""
    exists = session.scalars(
        select(Suppression.id).filter_by(shop_id=shop_id, channel=channel, address=address)
    ).first()
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Suppression(shop_id=shop_id, channel=channel, address=address, reason=reason))
    except IntegrityError:
        return False  # suppressed by a concurrent writer: the outcome is the same
    return True


def lift(
    session: Session, shop_ids: Collection[int], channel: str, address: str, reasons: Iterable[str]
) -> int:
    """Take the address off these shops' lists where it was put for one of these reasons."""
    if not shop_ids:
        return 0
    return affected_rows(
        session.execute(
            delete(Suppression).where(
                Suppression.shop_id.in_(list(shop_ids)),
                Suppression.channel == channel,
                Suppression.address == address,
                Suppression.reason.in_(list(reasons)),
            )
        )
    )


def withdraw(contact: Contact, channel: str, source: str, at: datetime) -> bool:
    """Record that the shopper withdrew consent, unless a newer statement is already on record."""
    current_at = getattr(contact, f"{channel}_consent_at")
    if current_at is not None and current_at > at:
        return False
    withdraw_consent(contact, channel, source, at)
    return True
