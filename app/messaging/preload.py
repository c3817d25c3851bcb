"""Load what a batch of steps reads: one set-based query per kind, for the whole batch.

Each step looks rows up one enrollment at a time: its shop and shopper (``session.get``, answered
from the identity map once loaded here), its flow's settings, its message row, its checkout, its
shopper's recent orders, sends and suppressions, its products' images. Loaded here first, inside
the batch's shared reads (app/db/reads.py), every one of those lookups is answered without a query.
A lookup this does not foresee still works: it queries, as it would alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from app.db.ids import draw_ids
from app.db.models import Cart, Checkout, Contact, Enrollment, FlowSetting, Message, Order, Shop
from app.db.reads import remember
from app.messaging.budget import budget_horizon, preload_budget
from app.messaging.products import preload_images
from app.messaging.sender import MESSAGE_ROWS
from app.messaging.suppression import preload_suppressions
from flows.catalogue import CATALOGUE
from flows.orders import preload_recent_orders
from flows.settings import FLOW_SETTING_ROWS
from flows.subjects import SUBJECTS, Subject

LOADED_ROWS = "loaded_rows"  # (model, id) → the row, held for the batch so the identity map keeps it

SUBJECT_KINDS: dict[str, tuple[type[Checkout] | type[Order] | type[Cart], str]] = {
    "checkout": (Checkout, "token"),
    "order": (Order, "platform_id"),
    "cart": (Cart, "token"),
}


def preload_batch(session: Session, enrollments: Sequence[Enrollment], now: datetime) -> None:
    """Load, for the whole batch, what its steps will look up."""
    shops = {
        shop.id: shop
        for shop in session.scalars(select(Shop).where(Shop.id.in_({e.shop_id for e in enrollments})))
    }
    contacts = list(
        session.scalars(select(Contact).where(Contact.id.in_({e.contact_id for e in enrollments})))
    )
    # The identity map holds rows weakly: kept here, ``session.get`` finds them for the whole batch.
    remember(session, LOADED_ROWS, {(Shop, key): shop for key, shop in shops.items()})
    remember(session, LOADED_ROWS, {(Contact, contact.id): contact for contact in contacts})
    _flow_settings(session, {(e.shop_id, e.flow_key) for e in enrollments})
    _messages(session, enrollments)
    draw_ids(session, Message.__tablename__, len(enrollments))
    subjects = _subjects(session, enrollments)
    preload_recent_orders(session, ((e.shop_id, e.contact_id, e.last_activity_at) for e in enrollments))
    preload_budget(
        session,
        (c.id for c in contacts),
        now,
        max((budget_horizon(shop) for shop in shops.values()), default=timedelta(0)),
    )
    asked = {(c.shop_id, "email", c.email) for c in contacts if c.email}
    asked |= {(c.shop_id, "sms", c.phone) for c in contacts if c.phone}
    preload_suppressions(session, asked)
    products: dict[int, set[str]] = {}
    for (shop_id, _), subject in subjects.items():
        for item in getattr(subject, "line_items", None) or []:
            if isinstance(item, dict) and item.get("product_id"):
                products.setdefault(shop_id, set()).add(str(item["product_id"]))
    for shop_id, ids in products.items():
        preload_images(session, shop_id, ids)


def _flow_settings(session: Session, pairs: set[tuple[int, str]]) -> None:
    rows = session.scalars(
        select(FlowSetting).where(tuple_(FlowSetting.shop_id, FlowSetting.flow_key).in_(pairs))
    )
    found = {(row.shop_id, row.flow_key): row for row in rows}
    remember(session, FLOW_SETTING_ROWS, {pair: found.get(pair) for pair in pairs})


def _messages(session: Session, enrollments: Sequence[Enrollment]) -> None:
    rows = session.scalars(select(Message).where(Message.enrollment_id.in_({e.id for e in enrollments})))
    found = {(m.enrollment_id, m.step_index): m for m in rows}
    keys = {
        (e.id, index)
        for e in enrollments
        if e.flow_key in CATALOGUE
        for index in range(len(CATALOGUE[e.flow_key].steps))
    }
    remember(session, MESSAGE_ROWS, {key: found.get(key) for key in keys})


def _subjects(session: Session, enrollments: Sequence[Enrollment]) -> dict[tuple[int, str], Subject | None]:
    asked: dict[str, set[tuple[int, str]]] = {}
    for enrollment in enrollments:
        kind, _, reference = enrollment.subject_key.partition(":")
        if kind in SUBJECT_KINDS:
            asked.setdefault(kind, set()).add((enrollment.shop_id, reference))
    loaded: dict[tuple[int, str], Subject | None] = {}
    for kind, pairs in asked.items():
        model, column = SUBJECT_KINDS[kind]
        reference = getattr(model, column)
        rows: Iterable[Subject] = session.scalars(
            select(model).where(tuple_(model.shop_id, reference).in_(pairs))
        )
        found = {(row.shop_id, str(getattr(row, column))): row for row in rows}
        loaded.update({(shop_id, f"{kind}:{ref}"): found.get((shop_id, ref)) for shop_id, ref in pairs})
    remember(session, SUBJECTS, loaded)
    return loaded
