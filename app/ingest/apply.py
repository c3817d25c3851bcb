"""Merge a normalized webhook into our copy of the store and say which trigger events it caused.

Rules that make late and repeated deliveries harmless:
- content changes only when the platform's ``updated_at`` is newer than what is stored;
- milestones (completed, paid, fulfilled, cancelled) are facts that only ever become true, so
  they are applied whatever the order, and each fires its trigger event once, when first learned;
- an order seen for the first time is "placed", whichever topic brought it.

The history sync (app/sync/) merges the platform's past through the same rules with ``past=True``:
the rows end up as a webhook would leave them, but nothing that happened before install is news.
No trigger event is returned, no catalogue alert is opened, and a subscription read from the
platform's records is taken as the platform states it rather than held for a double opt-in whose
confirmation email the sync may never send (docs/history-sync.md, "Consent").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.catalog.alerts import open_alerts
from app.catalog.merge import merge_inventory, merge_product
from app.core.events import EventKind, TriggerEvent, subject_key
from app.core.facts import CartFacts, CheckoutFacts, LineItem, Normalized, OrderFacts
from app.db import affected_rows
from app.db.models import Cart, Checkout, Contact, Order, Shop
from app.db.models.rows import get_or_create, insert_row
from app.db.reads import remember
from app.ingest.contacts import apply_consent, find_or_create_contact
from app.ingest.preload import ORDERS as PRELOADED_ORDERS
from app.ingest.preload import preloaded
from app.ingest.recovery_links import link_from, template_of
from app.ingest.subscriptions import (
    DOUBLE_OPT_IN,
    double_opt_in_required,
    hold_for_confirmation,
    subscription_triggers,
)
from app.storefront.visitors import link_checkout_visitors
from flows.settings import ResolvedSettings


@dataclass(frozen=True)
class Applied:
    """What merging one webhook produced: the contact it concerns and the trigger events it fired."""

    contact: Contact | None
    subject_key: str | None
    triggers: tuple[TriggerEvent, ...]
    contact_created: bool = False  # this webhook made the contact: it has no enrollment yet


def apply_normalized(
    session: Session,
    shop_id: int,
    normalized: Normalized,
    settings: Mapping[str, ResolvedSettings] | None = None,
    past: bool = False,
) -> Applied:
    """Merge the facts of one webhook and return the trigger events it caused.

    ``settings`` are the shop's resolved flow settings when the caller holds them already (a batch
    resolves them once); without them, the one setting needed here is read from the database.
    ``past`` marks facts read from the platform's history: merged alike, announced to no flow.
    """
    contact, contact_created = find_or_create_contact(session, shop_id, normalized.contact)
    consent_changed = False
    email_before = contact.email_consent if contact is not None else None
    if contact is not None and normalized.consents:
        confirm = not past and (
            settings[DOUBLE_OPT_IN].enabled
            if settings is not None
            else double_opt_in_required(session, shop_id)
        )
        for consent in normalized.consents:
            held = hold_for_confirmation(contact, consent, confirm)
            consent_changed = apply_consent(contact, held) or consent_changed
    if not past:  # the sync flushes a page at its commit, its new orders in multi-row INSERTs
        session.flush()
    contact_id = contact.id if contact else None
    triggers: list[TriggerEvent] = []
    key: str | None = None

    if normalized.product is not None or normalized.inventory is not None:
        triggers += _merge_catalog(session, shop_id, normalized, past)
    elif normalized.checkout is not None:
        key = subject_key("checkout", normalized.checkout.token)
        kinds, linked_cart = _merge_checkout(session, shop_id, normalized.checkout, contact_id)
        triggers += [TriggerEvent(k, shop_id, contact_id, key, normalized.occurred_at) for k in kinds]
        if linked_cart is not None:
            # The cart this checkout came from now has a shopper: the abandoned-cart flow may start.
            cart_key = subject_key("cart", linked_cart)
            triggers.append(
                TriggerEvent(EventKind.CART_UPDATED, shop_id, contact_id, cart_key, normalized.occurred_at)
            )
    elif normalized.cart is not None:
        key = subject_key("cart", normalized.cart.token)
        cart, changed = _merge_cart(session, shop_id, normalized.cart)
        if changed:
            triggers.append(
                TriggerEvent(EventKind.CART_UPDATED, shop_id, cart.contact_id, key, normalized.occurred_at)
            )
    elif normalized.order is not None:
        order_facts = normalized.order
        key = subject_key("order", order_facts.platform_id)
        related = tuple(
            subject_key(kind, token)
            for kind, token in (("checkout", order_facts.checkout_token), ("cart", order_facts.cart_token))
            if token
        )
        kinds = _merge_order(session, shop_id, order_facts, contact_id, past)
        triggers += [
            TriggerEvent(k, shop_id, contact_id, key, normalized.occurred_at, related) for k in kinds
        ]
    elif contact is not None:
        key = subject_key("contact", str(contact.id))
        if normalized.kind in {EventKind.CUSTOMER_CREATED, EventKind.CUSTOMER_UPDATED}:
            triggers.append(TriggerEvent(normalized.kind, shop_id, contact_id, key, normalized.occurred_at))
    if consent_changed and contact is not None:
        triggers += subscription_triggers(shop_id, contact, email_before, normalized.occurred_at)
        triggers.append(
            TriggerEvent(
                EventKind.CONSENT_UPDATED,
                shop_id,
                contact_id,
                subject_key("contact", str(contact.id)),
                normalized.occurred_at,
            )
        )
    if not past:
        session.flush()
    return Applied(contact, key, () if past else tuple(triggers), contact_created)


def _merge_catalog(session: Session, shop_id: int, normalized: Normalized, past: bool) -> list[TriggerEvent]:
    """Store product or stock news; return the first batch of the alerts it opens (none for the past)."""
    shop = session.get_one(Shop, shop_id)
    if normalized.product is not None:
        changes = merge_product(session, shop, normalized.product)
    else:
        assert normalized.inventory is not None
        changes = merge_inventory(session, shop, normalized.inventory)
    return [] if past else open_alerts(session, shop_id, changes, normalized.occurred_at)


def _merge_checkout(
    session: Session, shop_id: int, facts: CheckoutFacts, contact_id: int | None
) -> tuple[list[EventKind], str | None]:
    row, created = get_or_create(session, Checkout, shop_id=shop_id, token=facts.token)
    kinds: list[EventKind] = []
    if created or _newer(facts.updated_at, row.source_updated_at):
        row.platform_id = facts.platform_id or row.platform_id
        row.cart_token = facts.cart_token or row.cart_token
        row.email = facts.email or row.email
        row.recovery_url = facts.recovery_url or row.recovery_url or _templated_link(session, shop_id, facts)
        row.currency = facts.currency or row.currency
        row.total_price = facts.total_price
        row.line_items = _items(facts.line_items)
        row.source_created_at = row.source_created_at or facts.created_at or facts.updated_at
        row.source_updated_at = facts.updated_at
        row.expires_at = facts.expires_at
        kinds.append(EventKind.CHECKOUT_STARTED if created else EventKind.CHECKOUT_UPDATED)
    if contact_id is not None and row.contact_id is None:
        row.contact_id = contact_id
        # Whoever reported starting this checkout on the storefront is this shopper.
        link_checkout_visitors(session, shop_id, facts.token, contact_id, facts.updated_at)
        if not kinds:  # the shopper just became reachable: let flows enroll now
            kinds.append(EventKind.CHECKOUT_UPDATED)
    if facts.completed_at is not None and row.completed_at is None:
        row.completed_at = facts.completed_at
        kinds.append(EventKind.CHECKOUT_COMPLETED)
    if row.order_platform_id is None:
        row.order_platform_id = session.scalars(
            select(Order.platform_id).where(Order.shop_id == shop_id, Order.checkout_token == facts.token)
        ).first()
    linked_cart = None
    if row.cart_token and row.contact_id is not None:
        linked = affected_rows(
            session.execute(
                update(Cart)
                .where(Cart.shop_id == shop_id, Cart.token == row.cart_token, Cart.contact_id.is_(None))
                .values(contact_id=row.contact_id)
            )
        )
        linked_cart = row.cart_token if linked else None
    return kinds, linked_cart


def _templated_link(session: Session, shop_id: int, facts: CheckoutFacts) -> str | None:
    """Make a recovery link from the shop's checkout-URL template when the platform hosts none."""
    shop = session.get(Shop, shop_id)
    template = template_of(shop.settings) if shop is not None else None
    return link_from(template, facts.platform_id or facts.token) if template else None


def _merge_cart(session: Session, shop_id: int, facts: CartFacts) -> tuple[Cart, bool]:
    row, created = get_or_create(session, Cart, shop_id=shop_id, token=facts.token)
    changed = created or _newer(facts.updated_at, row.source_updated_at)
    if changed:
        row.currency = facts.currency or row.currency
        row.total_price = facts.total_price
        row.line_items = _items(facts.line_items)
        row.source_updated_at = facts.updated_at
    if row.contact_id is None:
        row.contact_id = session.scalars(
            select(Checkout.contact_id).where(
                Checkout.shop_id == shop_id,
                Checkout.cart_token == facts.token,
                Checkout.contact_id.is_not(None),
            )
        ).first()
    return row, changed


def _merge_order(
    session: Session, shop_id: int, facts: OrderFacts, contact_id: int | None, past: bool
) -> list[EventKind]:
    row, created = _find_or_insert_order(session, shop_id, facts, contact_id, past)
    kinds: list[EventKind] = [EventKind.ORDER_PLACED] if created else []
    if created or _newer(facts.updated_at, row.source_updated_at):
        row.name = facts.name or row.name
        row.email = facts.email or row.email
        row.checkout_token = facts.checkout_token or row.checkout_token
        row.cart_token = facts.cart_token or row.cart_token
        row.currency = facts.currency or row.currency
        row.total_price = facts.total_price
        if facts.line_items:
            row.line_items = _items(facts.line_items)
        row.financial_status = facts.financial_status or row.financial_status
        row.fulfillment_status = facts.fulfillment_status or row.fulfillment_status
        row.status_url = facts.status_url or row.status_url
        row.placed_at = row.placed_at or facts.placed_at
        row.source_updated_at = facts.updated_at
    if contact_id is not None and row.contact_id is None:
        row.contact_id = contact_id
    for field, kind in (
        ("paid_at", EventKind.ORDER_PAID),
        ("fulfilled_at", EventKind.ORDER_FULFILLED),
        ("cancelled_at", EventKind.ORDER_CANCELLED),
    ):
        learned = getattr(facts, field)
        if learned is not None and (created or getattr(row, field) is None):
            setattr(row, field, learned)
            kinds.append(kind)
    if row.checkout_token:
        session.execute(
            update(Checkout)
            .where(
                Checkout.shop_id == shop_id,
                Checkout.token == row.checkout_token,
                Checkout.order_platform_id.is_(None),
            )
            .values(order_platform_id=row.platform_id)
        )
    return kinds


def _find_or_insert_order(
    session: Session, shop_id: int, facts: OrderFacts, contact_id: int | None, past: bool
) -> tuple[Order, bool]:
    """Return the stored order, or insert it whole (one statement, not an insert and an update).

    An order of the past that the page's preload knows absent is added to the session instead:
    the page's commit inserts all of them in multi-row INSERTs. A webhook storing the same order
    meanwhile makes that commit fail on the unique key; the page is then read again, and merged.
    """
    covered, found = preloaded(session, PRELOADED_ORDERS, (shop_id, facts.platform_id))

    def stored() -> Order | None:
        query = select(Order).filter_by(shop_id=shop_id, platform_id=facts.platform_id)
        return session.scalars(query).first()

    row = found if covered else stored()
    if isinstance(row, Order):
        return row, False
    new = Order(
        shop_id=shop_id,
        platform_id=facts.platform_id,
        contact_id=contact_id,
        name=facts.name,
        email=facts.email,
        checkout_token=facts.checkout_token,
        cart_token=facts.cart_token,
        currency=facts.currency,
        total_price=facts.total_price,
        line_items=_items(facts.line_items),
        financial_status=facts.financial_status,
        fulfillment_status=facts.fulfillment_status,
        status_url=facts.status_url,
        placed_at=facts.placed_at,
        source_updated_at=facts.updated_at,
        paid_at=facts.paid_at,
        fulfilled_at=facts.fulfilled_at,
        cancelled_at=facts.cancelled_at,
    )
    if past and covered:
        session.add(new)
        remember(session, PRELOADED_ORDERS, {(shop_id, facts.platform_id): new})
        return new, True
    inserted = insert_row(session, new)
    if inserted is None:  # a concurrent worker stored it first
        again = stored()
        assert again is not None
        return again, False
    remember(session, PRELOADED_ORDERS, {(shop_id, facts.platform_id): inserted})
    return inserted, True


def _newer(incoming: datetime, stored: datetime | None) -> bool:
    return stored is None or incoming > stored


def _items(items: tuple[LineItem, ...]) -> list[dict[str, Any]]:
    return [item.as_dict() for item in items]
