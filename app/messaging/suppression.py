"""The suppression list: addresses a shop must not message again on a channel, and consent withdrawal."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import affected_rows
from app.db.models import Contact, Suppression
from app.db.reads import remember, remembered
from app.ingest.contacts import withdraw_consent

SUPPRESSIONS = "suppressions"  # (shop id, channel, address) → the reason, or None, for shared reads


def suppression_reason(session: Session, shop_id: int, channel: str, address: str) -> str | None:
    """Why the address is on the shop's list for the channel, or None (read once per batch)."""
    return remembered(
        session,
        SUPPRESSIONS,
        (shop_id, channel, address),
        lambda: session.scalars(
            select(Suppression.reason).filter_by(shop_id=shop_id, channel=channel, address=address)
        ).first(),
    )


def preload_suppressions(session: Session, asked: Collection[tuple[int, str, str]]) -> None:
    """Answer the batch's (shop, channel, address) questions with one query."""
    if not asked:
        return
    shop_ids = {shop_id for shop_id, _, _ in asked}
    addresses = {address for _, _, address in asked}
    rows = session.execute(
        select(Suppression.shop_id, Suppression.channel, Suppression.address, Suppression.reason).where(
            Suppression.shop_id.in_(shop_ids), Suppression.address.in_(addresses)
        )
    )
    found = {(shop_id, channel, address): reason for shop_id, channel, address, reason in rows}
    remember(session, SUPPRESSIONS, {key: found.get(key) for key in asked})


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
