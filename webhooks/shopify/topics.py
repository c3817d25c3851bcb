"""The Shopify webhook topics Storeflow subscribes to, and what each means to us.

API registration uses the GraphQL enum names; ``shopify.app.toml`` uses the topic strings.
Compliance topics cannot be registered through the API: they are declared in the app config.
"""

from __future__ import annotations

from app.core.events import EventKind

TOPIC_KINDS: dict[str, EventKind] = {
    "checkouts/create": EventKind.CHECKOUT_STARTED,
    "checkouts/update": EventKind.CHECKOUT_UPDATED,
    "carts/create": EventKind.CART_UPDATED,
    "carts/update": EventKind.CART_UPDATED,
    "orders/create": EventKind.ORDER_PLACED,
    "orders/paid": EventKind.ORDER_PAID,
    "orders/fulfilled": EventKind.ORDER_FULFILLED,
    "orders/cancelled": EventKind.ORDER_CANCELLED,
    "products/create": EventKind.PRODUCT_UPDATED,
    "products/update": EventKind.PRODUCT_UPDATED,
    "inventory_levels/update": EventKind.INVENTORY_UPDATED,
    "customers/create": EventKind.CUSTOMER_CREATED,
    "customers/update": EventKind.CUSTOMER_UPDATED,
    "customers_email_marketing_consent/update": EventKind.CONSENT_UPDATED,
    "customers_marketing_consent/update": EventKind.CONSENT_UPDATED,
    "app/uninstalled": EventKind.APP_UNINSTALLED,
    "bulk_operations/finish": EventKind.HISTORY_READY,
    "customers/data_request": EventKind.PRIVACY_DATA_REQUEST,
    "customers/redact": EventKind.PRIVACY_CUSTOMER_REDACT,
    "shop/redact": EventKind.PRIVACY_SHOP_REDACT,
}

COMPLIANCE_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})

# Topics accepted for a shop that has uninstalled: Shopify sends shop/redact 48 h after uninstall.
ACCEPTED_AFTER_UNINSTALL = COMPLIANCE_TOPICS | {"app/uninstalled"}

API_REGISTERED_TOPICS: tuple[str, ...] = tuple(t for t in TOPIC_KINDS if t not in COMPLIANCE_TOPICS)


def graphql_topic(topic: str) -> str:
    """Return the WebhookSubscriptionTopic enum name, e.g. ``checkouts/create`` → ``CHECKOUTS_CREATE``."""
    return topic.replace("/", "_").upper()
