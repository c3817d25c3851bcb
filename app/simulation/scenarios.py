"""Who the simulated flow runs for, and what happens to them: synthetic scenarios or a real contact.

A synthetic scenario makes a shopper (and the checkout, cart or order the flow is about) inside the
simulation's rolled-back transaction; a real contact is used as stored, with their real orders,
consent and messages, so guards, conditions and smart sending see their actual history. Either way
the result is the event that starts the flow, and any later events the scenario plays.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.events import EventKind, TriggerEvent
from app.db.models import Cart, Checkout, Contact, Order, Shop
from app.db.models.contact import SUBSCRIBED
from app.simulation.errors import SimulationError
from flows.definitions import Flow
from flows.settings import flow_settings

SIMULATED_TOTAL = Decimal("59.00")
SIMULATED_ITEM = {"title": "Sample product", "quantity": 1, "price": "59.00", "product_id": None}


@dataclass(frozen=True)
class Scenario:
    """A synthetic shopper's consent, when the flow starts (shop time), and whether they order."""

    name: str
    description: str
    sms_consent: bool = True
    start_hour: int | None = None  # local hour the flow starts at; None: now
    orders_after: timedelta | None = None


SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        Scenario("engaged", "A shopper subscribed to email and SMS who does nothing else."),
        Scenario("email_only", "A shopper subscribed to email only.", sms_consent=False),
        Scenario(
            "orders",
            "A subscribed shopper who orders 2 hours after the flow starts.",
            orders_after=timedelta(hours=2),
        ),
        Scenario("evening", "A subscribed shopper whose flow starts at 19:00 shop time.", start_hour=19),
    )
}


@dataclass(frozen=True)
class Later:
    """Something the scenario makes happen at ``at``: it stores its rows then, and returns its event."""

    at: datetime
    happen: Callable[[Session], TriggerEvent]


@dataclass(frozen=True)
class Setup:
    """The simulated shopper, the event that starts the flow, and what happens later."""

    contact: Contact
    start: TriggerEvent
    later: list[Later] = field(default_factory=list)


def scenario_named(name: str) -> Scenario:
    """Return the scenario, or say which ones exist."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise SimulationError(f"no scenario {name!r}; choose one of {', '.join(SCENARIOS)}") from None


def synthetic(session: Session, shop: Shop, flow: Flow, scenario: Scenario, start: datetime) -> Setup:
    """Make a shopper (and the flow's subject) for the scenario; return how the flow starts and goes."""
    tag = uuid.uuid4().hex[:12]
    # Addresses of a real shape that reach no one (a documentation domain, a fictional 555-01xx
    # number), so the sender's address check treats the simulated shopper like a real one.
    contact = Contact(
        shop_id=shop.id,
        email=f"simulated-{tag}@simulation.example",
        phone="+16135550100",
        first_name="Sam",
        last_name="Simulated",
        email_consent=SUBSCRIBED,
        email_consent_at=start,
        sms_consent=SUBSCRIBED if scenario.sms_consent else None,
        sms_consent_at=start if scenario.sms_consent else None,
    )
    session.add(contact)
    session.flush()
    key = _subject(session, shop, flow, contact, tag, start)
    first = TriggerEvent(_starting_kind(session, shop, flow), shop.id, contact.id, key, start)
    later = []
    if scenario.orders_after is not None:
        at = start + scenario.orders_after
        later.append(Later(at, lambda into: _order(into, shop, contact, key, at)))
    return Setup(contact, first, later)


def real(session: Session, shop: Shop, flow: Flow, email: str, start: datetime) -> Setup:
    """Start the flow for a stored contact, on their latest checkout, cart or order if it needs one."""
    contact = session.scalars(
        select(Contact).where(Contact.shop_id == shop.id, func.lower(Contact.email) == email.strip().lower())
    ).first()
    if contact is None:
        raise SimulationError(f"no contact with email {email!r} in this shop")
    key = _latest_subject(session, shop, flow, contact)
    return Setup(contact, TriggerEvent(_starting_kind(session, shop, flow), shop.id, contact.id, key, start))


def _starting_kind(session: Session, shop: Shop, flow: Flow) -> EventKind:
    """The event a run starts on: the shop's chosen trigger, for a flow that offers a choice."""
    return flow_settings(session, shop.id, flow.key).triggers()[0]


def _subject(session: Session, shop: Shop, flow: Flow, contact: Contact, tag: str, at: datetime) -> str:
    """Store the checkout, cart or order a synthetic flow run is about; return its subject key."""
    common: dict[str, Any] = {
        "shop_id": shop.id,
        "contact_id": contact.id,
        "currency": shop.currency,
        "total_price": SIMULATED_TOTAL,
        "line_items": [SIMULATED_ITEM],
    }
    if flow.subject == "checkout":
        session.add(
            Checkout(
                token=f"sim-{tag}",
                email=contact.email,
                recovery_url=f"{shop.store_url}/checkouts/sim-{tag}/recover",
                source_created_at=at,
                source_updated_at=at,
                **common,
            )
        )
    elif flow.subject == "cart":
        session.add(Cart(token=f"sim-{tag}", source_updated_at=at, **common))
    elif flow.subject == "order":
        session.add(
            Order(
                platform_id=f"sim-{tag}",
                email=contact.email,
                financial_status="paid",
                placed_at=at,
                paid_at=at,
                **common,
            )
        )
    else:
        return f"contact:{contact.id}" if flow.subject == "contact" else f"{flow.subject}:sim-{tag}"
    session.flush()
    return f"{flow.subject}:sim-{tag}"


def _order(session: Session, shop: Shop, contact: Contact, subject_key: str, at: datetime) -> TriggerEvent:
    """Store the scenario's order (settling the checkout it came from) and return its event."""
    platform_id = f"sim-order-{uuid.uuid4().hex[:12]}"
    kind, _, reference = subject_key.partition(":")
    session.add(
        Order(
            shop_id=shop.id,
            platform_id=platform_id,
            contact_id=contact.id,
            email=contact.email,
            checkout_token=reference if kind == "checkout" else None,
            cart_token=reference if kind == "cart" else None,
            currency=shop.currency,
            total_price=SIMULATED_TOTAL,
            line_items=[SIMULATED_ITEM],
            financial_status="paid",
            placed_at=at,
            paid_at=at,
        )
    )
    session.flush()
    related = (subject_key,) if kind in ("checkout", "cart") else ()
    return TriggerEvent(EventKind.ORDER_PLACED, shop.id, contact.id, f"order:{platform_id}", at, related)


def _latest_subject(session: Session, shop: Shop, flow: Flow, contact: Contact) -> str:
    """Name the contact's most recent checkout, cart or order, for flows about one of those."""
    models: dict[str, Any] = {"checkout": Checkout, "cart": Cart, "order": Order}
    if flow.subject == "contact":
        return f"contact:{contact.id}"
    model = models.get(flow.subject)
    if model is None:
        raise SimulationError(
            f"{flow.name} starts from a {flow.subject}; simulate it with a synthetic scenario"
        )
    row = session.scalars(
        select(model)
        .where(model.shop_id == shop.id, model.contact_id == contact.id)
        .order_by(model.id.desc())
    ).first()
    if row is None:
        raise SimulationError(f"{contact.email} has no {flow.subject} on record to start {flow.name} from")
    reference = row.platform_id if flow.subject == "order" else row.token
    return f"{flow.subject}:{reference}"
