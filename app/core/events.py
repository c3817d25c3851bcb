"""The platform-neutral event vocabulary every adapter maps into and every flow listens to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    CHECKOUT_STARTED = "checkout.started"
    CHECKOUT_UPDATED = "checkout.updated"
    CHECKOUT_COMPLETED = "checkout.completed"
    CART_UPDATED = "cart.updated"
    ORDER_PLACED = "order.placed"
    ORDER_PAID = "order.paid"
    # The order changed without reaching a milestone (Saleor's order metadata, e.g. consent).
    ORDER_UPDATED = "order.updated"
    ORDER_FULFILLED = "order.fulfilled"
    ORDER_CANCELLED = "order.cancelled"
    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_UPDATED = "customer.updated"
    CONSENT_UPDATED = "consent.updated"
    APP_UNINSTALLED = "app.uninstalled"
    # The platform finished preparing part of the shop's history (a Shopify bulk operation).
    HISTORY_READY = "history.ready"
    PRIVACY_DATA_REQUEST = "privacy.data_request"
    PRIVACY_CUSTOMER_REDACT = "privacy.customer_redact"
    PRIVACY_SHOP_REDACT = "privacy.shop_redact"
    # The store's catalogue changed (products, variants, stock); flows hear of it as the alerts below.
    PRODUCT_UPDATED = "product.updated"
    INVENTORY_UPDATED = "inventory.updated"
    # Email marketing consent became subscribed, or was withdrawn; pending awaits a double opt-in.
    CONTACT_SUBSCRIBED = "contact.subscribed"
    CONTACT_UNSUBSCRIBED = "contact.unsubscribed"
    SUBSCRIPTION_PENDING = "contact.subscription_pending"
    # The subscribe box of one of our own public forms was ticked: confirmed by email before it counts.
    SIGNUP_PENDING = "contact.signup_pending"
    # What a known shopper did on the storefront (storefront events of a visitor linked to a contact).
    PRODUCT_VIEWED = "product.viewed"
    SEARCH_PERFORMED = "search.performed"
    SITE_VISITED = "site.visited"
    CART_PRODUCT_ADDED = "cart.product_added"
    WISHLIST_ADDED = "wishlist.added"
    # Catalogue changes, one event per interested contact (see app/catalog/alerts.py).
    PRODUCT_BACK_IN_STOCK = "product.back_in_stock"
    PRODUCT_PRICE_DROPPED = "product.price_dropped"
    PRODUCT_LOW_STOCK = "product.low_stock"
    # The daily calendar (app/calendar/): a contact's day came, or they went quiet.
    BIRTHDAY = "date.birthday"
    ORDER_ANNIVERSARY = "date.order_anniversary"
    DATE_REACHED = "date.reached"
    CONTACT_LAPSED = "contact.lapsed"
    CONTACT_UNENGAGED = "contact.unengaged"


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
    # What a flow keeps of the event for its messages (the product that came back, the date's name).
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.subject_key, *self.related_keys)
