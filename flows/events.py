"""The platform-neutral event vocabulary every adapter maps into and every flow listens to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class EventKind(StrEnum):
    CHECKOUT_STARTED = "checkout.started"
    CHECKOUT_UPDATED = "checkout.updated"
    CHECKOUT_COMPLETED = "checkout.completed"
    CART_UPDATED = "cart.updated"
    ORDER_PLACED = "order.placed"
    ORDER_PAID = "order.paid"
    ORDER_FULFILLED = "order.fulfilled"
    ORDER_CANCELLED = "order.cancelled"
    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_UPDATED = "customer.updated"
    CONSENT_UPDATED = "consent.updated"
    APP_UNINSTALLED = "app.uninstalled"
    PRIVACY_DATA_REQUEST = "privacy.data_request"
    PRIVACY_CUSTOMER_REDACT = "privacy.customer_redact"
    PRIVACY_SHOP_REDACT = "privacy.shop_redact"


def subject_key(kind: str, reference: str) -> str:
    """Name a subject a flow can be enrolled on, e.g. ``checkout:<token>``."""
    return f"{kind}:{reference}"


@dataclass(frozen=True)
class TriggerEvent:
    """Something that happened in a shop, after it was stored and merged into our state.

    ``subject_key`` names the object the event is about; ``related_keys`` names others it settles
    (an order names the checkout and cart it came from, which is how recovery flows learn to stop).
    """

    kind: EventKind
    shop_id: int
    contact_id: int | None
    subject_key: str
    occurred_at: datetime
    related_keys: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.subject_key, *self.related_keys)
