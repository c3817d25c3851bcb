"""The Saleor webhook events Storeflow subscribes to, and what each means to us.

Saleor names an event by its ``WebhookEventTypeAsyncEnum`` value (``CHECKOUT_CREATED``) in the
manifest, in lower case in the ``Saleor-Event`` header, by its GraphQL type (``CheckoutCreated``)
in ``subscription { event { ... on CheckoutCreated } }`` and by a camelCase field
(``checkoutCreated``) in filterable subscriptions. One declaration here serves all four.
https://docs.saleor.io/developer/extending/webhooks/subscription-webhook-payloads
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.events import EventKind

# Aliases of the consent metadata fields in every query (``emailConsent: metafield(key: ...)``).
EMAIL_CONSENT_FIELD = "emailConsent"
SMS_CONSENT_FIELD = "smsConsent"
# Alias of the customer's birthday metadata field (``birthday: metafield(key: "birthday")``).
BIRTHDAY_FIELD = "birthday"


@dataclass(frozen=True)
class SaleorEvent:
    name: str
    kind: EventKind
    subject: str  # the payload key holding the object: checkout, order, user, product, productVariant or app

    @property
    def header(self) -> str:
        """The ``Saleor-Event`` header value, e.g. ``checkout_created``."""
        return self.name.lower()

    @property
    def type_name(self) -> str:
        """The subscription event type, e.g. ``CheckoutCreated``."""
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def field(self) -> str:
        """The filterable-subscription field, e.g. ``checkoutCreated``."""
        return self.type_name[0].lower() + self.type_name[1:]


# ``updateMetadata`` (how a storefront records consent, docs/saleor.md, "Consent on Saleor") emits the
# *_METADATA_UPDATED events; from 3.23 it emits CHECKOUT_UPDATED / CUSTOMER_UPDATED only while the
# shop setting ``useLegacyUpdateWebhookEmission`` is on (its model default is off), and order
# metadata never emits ORDER_UPDATED. Their payloads carry the same objects as the updates.
_DECLARED = (
    SaleorEvent("CHECKOUT_CREATED", EventKind.CHECKOUT_STARTED, "checkout"),
    SaleorEvent("CHECKOUT_UPDATED", EventKind.CHECKOUT_UPDATED, "checkout"),
    SaleorEvent("CHECKOUT_METADATA_UPDATED", EventKind.CHECKOUT_UPDATED, "checkout"),
    # Paid in full through the Transactions API: the shopper is done, recovery must stop.
    SaleorEvent("CHECKOUT_FULLY_PAID", EventKind.CHECKOUT_COMPLETED, "checkout"),
    SaleorEvent("ORDER_CREATED", EventKind.ORDER_PLACED, "order"),
    SaleorEvent("ORDER_CONFIRMED", EventKind.ORDER_PLACED, "order"),
    SaleorEvent("ORDER_FULLY_PAID", EventKind.ORDER_PAID, "order"),
    SaleorEvent("ORDER_FULFILLED", EventKind.ORDER_FULFILLED, "order"),
    SaleorEvent("ORDER_CANCELLED", EventKind.ORDER_CANCELLED, "order"),
    SaleorEvent("ORDER_METADATA_UPDATED", EventKind.ORDER_UPDATED, "order"),
    SaleorEvent("CUSTOMER_CREATED", EventKind.CUSTOMER_CREATED, "user"),
    SaleorEvent("CUSTOMER_UPDATED", EventKind.CUSTOMER_UPDATED, "user"),
    SaleorEvent("CUSTOMER_METADATA_UPDATED", EventKind.CUSTOMER_UPDATED, "user"),
    SaleorEvent("PRODUCT_CREATED", EventKind.PRODUCT_UPDATED, "product"),
    SaleorEvent("PRODUCT_UPDATED", EventKind.PRODUCT_UPDATED, "product"),
    SaleorEvent("PRODUCT_VARIANT_UPDATED", EventKind.PRODUCT_UPDATED, "productVariant"),
    SaleorEvent("PRODUCT_VARIANT_BACK_IN_STOCK", EventKind.PRODUCT_UPDATED, "productVariant"),
    SaleorEvent("PRODUCT_VARIANT_OUT_OF_STOCK", EventKind.PRODUCT_UPDATED, "productVariant"),
    SaleorEvent("PRODUCT_VARIANT_STOCK_UPDATED", EventKind.PRODUCT_UPDATED, "productVariant"),
    SaleorEvent("APP_DELETED", EventKind.APP_UNINSTALLED, "app"),
)

EVENTS: dict[str, SaleorEvent] = {event.header: event for event in _DECLARED}


def events_about(subject: str) -> tuple[SaleorEvent, ...]:
    """Return the events whose payload carries this kind of object, in declaration order."""
    return tuple(event for event in _DECLARED if event.subject == subject)
