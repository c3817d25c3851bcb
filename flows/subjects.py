"""Load the object an enrollment is about from its subject key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Cart, Checkout, Order
from app.db.reads import remembered

Subject = Checkout | Order | Cart
SUBJECTS = "subjects"  # (shop id, subject key) → the checkout, order or cart, for shared reads


def load_subject(session: Session, shop_id: int, key: str) -> Subject | None:
    """Return the checkout, order or cart named by ``kind:reference``, or None (read once per batch)."""
    return remembered(session, SUBJECTS, (shop_id, key), lambda: _load(session, shop_id, key))


def _load(session: Session, shop_id: int, key: str) -> Subject | None:
    kind, _, reference = key.partition(":")
    if kind == "checkout":
        return session.scalars(select(Checkout).filter_by(shop_id=shop_id, token=reference)).first()
    if kind == "order":
        return session.scalars(select(Order).filter_by(shop_id=shop_id, platform_id=reference)).first()
    if kind == "cart":
        return session.scalars(select(Cart).filter_by(shop_id=shop_id, token=reference)).first()
    return None
