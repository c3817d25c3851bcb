"""What a platform adapter extracts from one webhook, in platform-neutral terms.

Adapters (``webhooks/<platform>/normalize.py``) build these from raw payloads; ``apply`` merges
them into the database. Nothing here knows which platform a fact came from except ``source`` strings
kept for the consent audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from app.core.errors import StoreflowError
from app.core.events import EventKind


class ConsentState(StrEnum):
    SUBSCRIBED = "subscribed"
    NOT_SUBSCRIBED = "not_subscribed"
    UNSUBSCRIBED = "unsubscribed"
    PENDING = "pending"
    REDACTED = "redacted"
    INVALID = "invalid"


class NormalizationError(StoreflowError, ValueError):
    """A signed payload that does not have the shape its topic promises; not worth retrying."""


@dataclass(frozen=True)
class ContactFacts:
    platform_customer_id: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None
    country_code: str | None = None
    birthday: str | None = None  # "MM-DD"
    tags: tuple[str, ...] = ()

    @property
    def identifiable(self) -> bool:
        return bool(self.platform_customer_id or self.email or self.phone)


@dataclass(frozen=True)
class Origin:
    """Where a consent statement was made, when we saw it made: the shopper's IP and browser."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class ConsentFacts:
    """A consent statement for one channel.

    ``grant_only`` marks a checkbox ticked at checkout: ticked means subscribed, unticked says
    nothing about an earlier subscription, so it never revokes one.
    """

    channel: str
    state: ConsentState
    source: str
    at: datetime
    grant_only: bool = False
    phone: str | None = None
    origin: Origin | None = None
    # The version of the wording the shopper saw, when a form of ours showed its own (else the shop's).
    disclosure_version: str | None = None


@dataclass(frozen=True)
class LineItem:
    title: str
    quantity: int
    price: Decimal | None
    variant_title: str | None = None
    product_id: str | None = None
    variant_id: str | None = None
    sku: str | None = None
    image_url: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "title": self.title,
            "quantity": self.quantity,
            "price": str(self.price) if self.price is not None else None,
            "variant_title": self.variant_title,
            "product_id": self.product_id,
            "variant_id": self.variant_id,
            "sku": self.sku,
            "image_url": self.image_url,
        }


@dataclass(frozen=True)
class CheckoutFacts:
    token: str
    updated_at: datetime
    platform_id: str | None = None
    cart_token: str | None = None
    email: str | None = None
    recovery_url: str | None = None
    currency: str | None = None
    total_price: Decimal | None = None
    line_items: tuple[LineItem, ...] = ()
    created_at: datetime | None = None
    completed_at: datetime | None = None
    # When the platform deletes the checkout (and its link stops working), if it does.
    expires_at: datetime | None = None


@dataclass(frozen=True)
class CartFacts:
    token: str
    updated_at: datetime
    currency: str | None = None
    total_price: Decimal | None = None
    line_items: tuple[LineItem, ...] = ()


@dataclass(frozen=True)
class OrderFacts:
    platform_id: str
    updated_at: datetime
    name: str | None = None
    email: str | None = None
    checkout_token: str | None = None
    cart_token: str | None = None
    currency: str | None = None
    total_price: Decimal | None = None
    line_items: tuple[LineItem, ...] = ()
    financial_status: str | None = None
    fulfillment_status: str | None = None
    status_url: str | None = None
    placed_at: datetime | None = None
    paid_at: datetime | None = None
    fulfilled_at: datetime | None = None
    cancelled_at: datetime | None = None


@dataclass(frozen=True)
class VariantFacts:
    """One variant as a product webhook tells it; ``available`` None means stock is not tracked."""

    platform_id: str
    title: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    available: int | None = None
    inventory_item_id: str | None = None


@dataclass(frozen=True)
class ProductFacts:
    """A product and the variants the webhook carried (all of them, or the one a variant event names)."""

    platform_id: str
    updated_at: datetime
    title: str | None = None
    handle: str | None = None
    image_url: str | None = None
    collections: tuple[str, ...] = ()
    variants: tuple[VariantFacts, ...] = ()


@dataclass(frozen=True)
class InventoryFacts:
    """How many of an inventory item one location has (Shopify ``inventory_levels/update``)."""

    inventory_item_id: str
    location_id: str
    available: int
    updated_at: datetime


@dataclass(frozen=True)
class PrivacyRequest:
    """A compliance request: export or erase one customer's data, or erase a whole shop's."""

    reference: str | None = None
    customer: ContactFacts | None = None
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Normalized:
    """Everything one webhook says, ready to merge. ``kind`` is what the topic announces."""

    kind: EventKind
    occurred_at: datetime
    contact: ContactFacts | None = None
    consents: tuple[ConsentFacts, ...] = ()
    checkout: CheckoutFacts | None = None
    cart: CartFacts | None = None
    order: OrderFacts | None = None
    privacy: PrivacyRequest | None = None
    product: ProductFacts | None = None
    inventory: InventoryFacts | None = None
    extra: dict[str, object] = field(default_factory=dict)
