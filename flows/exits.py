"""Exit conditions checked again at every step, from the database rather than from events.

The event that should end a flow can arrive late, be processed by another worker, or never come
as an event at all (an unsubscribe through our own link): before each step the runner asks here
whether one of the flow's exit rules already holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.events import EventKind
from app.db.models import Checkout, Contact, Enrollment, StorefrontEvent, Visitor
from app.db.models.automation import ACTIVE
from flows.definitions import ExitScope, Flow
from flows.orders import order_since

Check = Callable[[Session, Enrollment], str | None]


def _ordered(session: Session, enrollment: Enrollment) -> str | None:
    found = order_since(session, enrollment.shop_id, enrollment.contact_id, enrollment.last_activity_at)
    return f"shopper placed order {found} since" if found is not None else None


def _unsubscribed(session: Session, enrollment: Enrollment) -> str | None:
    contact = session.get(Contact, enrollment.contact_id)
    if contact is None or contact.email_consent != "unsubscribed":
        return None
    if contact.email_consent_at is not None and contact.email_consent_at < enrollment.started_at:
        return None  # unsubscribed before the flow began: its sends are skipped, the flow runs on
    return "unsubscribed from email"


def _added_to_cart(session: Session, enrollment: Enrollment) -> str | None:
    found = session.scalars(
        select(StorefrontEvent.id)
        .join(
            Visitor,
            (Visitor.shop_id == StorefrontEvent.shop_id)
            & (Visitor.visitor_key == StorefrontEvent.visitor_key),
        )
        .where(
            StorefrontEvent.shop_id == enrollment.shop_id,
            Visitor.contact_id == enrollment.contact_id,
            StorefrontEvent.kind == "product_added_to_cart",
            StorefrontEvent.occurred_at >= enrollment.last_activity_at,
        )
    ).first()
    return "shopper added to cart since" if found is not None else None


def _started_checkout(session: Session, enrollment: Enrollment) -> str | None:
    found = session.scalars(
        select(Checkout.token).where(
            Checkout.shop_id == enrollment.shop_id,
            Checkout.contact_id == enrollment.contact_id,
            Checkout.source_updated_at >= enrollment.last_activity_at,
        )
    ).first()
    return "shopper went to checkout since" if found is not None else None


def _subscribed(session: Session, enrollment: Enrollment) -> str | None:
    contact = session.get(Contact, enrollment.contact_id)
    return "subscription confirmed" if contact is not None and contact.email_consent == "subscribed" else None


CHECKS: dict[tuple[EventKind, ExitScope], Check] = {
    (EventKind.ORDER_PLACED, ExitScope.CONTACT): _ordered,
    (EventKind.CONTACT_UNSUBSCRIBED, ExitScope.CONTACT): _unsubscribed,
    (EventKind.CART_PRODUCT_ADDED, ExitScope.CONTACT): _added_to_cart,
    (EventKind.CHECKOUT_STARTED, ExitScope.CONTACT): _started_checkout,
    (EventKind.CONTACT_SUBSCRIBED, ExitScope.CONTACT): _subscribed,
}


@dataclass(frozen=True)
class ExitMatch:
    """The exit condition that holds (as the flow declares it) and what happened, in words."""

    condition: str
    reason: str


def exit_reason(session: Session, enrollment: Enrollment, flow: Flow) -> ExitMatch | None:
    """Return the exit condition that ends the enrollment before its next step, or None to go on."""
    for rule in flow.exit_on:
        check = CHECKS.get((rule.kind, rule.scope))
        reason = check(session, enrollment) if check else None
        if reason:
            return ExitMatch(f"{rule.kind.value} ({rule.scope.value})", reason)
    if flow.exit_on_entering:
        entered = session.scalars(
            select(Enrollment.flow_key).where(
                Enrollment.shop_id == enrollment.shop_id,
                Enrollment.contact_id == enrollment.contact_id,
                Enrollment.flow_key.in_(flow.exit_on_entering),
                (Enrollment.state == ACTIVE) | (Enrollment.started_at >= enrollment.started_at),
            )
        ).first()
        if entered is not None:
            return ExitMatch(f"entered one of {', '.join(flow.exit_on_entering)}", f"entered {entered}")
    return None
