"""The Saleor app manifest: who we are, the least permissions the flows need, and our webhooks.

Each webhook's subscription ``query`` asks for exactly what webhooks/saleor/normalize.py reads,
with the configured consent metadata keys aliased as ``emailConsent`` / ``smsConsent``. Saleor
keeps the query it read at install, so ``fingerprint`` names the current set; an installation
whose stored fingerprint differs gets its webhooks updated (app/platforms/saleor/webhook_sync.py).
https://docs.saleor.io/developer/extending/apps/architecture/manifest
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from app.core.config import Config
from webhooks.saleor.events import (
    BIRTHDAY_FIELD,
    EMAIL_CONSENT_FIELD,
    SMS_CONSENT_FIELD,
    SaleorEvent,
    events_about,
)

APP_IDENTIFIER = "storeflow"
APP_VERSION = "0.1.0"
# Order.checkoutId (3.11), Checkout/User.updatedAt and CHECKOUT_FULLY_PAID (3.13); payload shapes
# were checked against 3.20+ (filterable subscriptions), where apps also get their own APP_DELETED.
REQUIRED_SALEOR_VERSION = "^3.20"
# MANAGE_CHECKOUTS: checkout events; MANAGE_ORDERS: order events; MANAGE_USERS: customer events
# and Checkout.user; MANAGE_PRODUCTS: product and variant events with their stock; MANAGE_DISCOUNTS:
# the one write Storeflow makes, a single-use voucher per shopper when a flow offers a discount.
PERMISSIONS = ("MANAGE_CHECKOUTS", "MANAGE_ORDERS", "MANAGE_USERS", "MANAGE_PRODUCTS", "MANAGE_DISCOUNTS")

MANIFEST_PATH = "/saleor/manifest"
REGISTER_PATH = "/saleor/register"
APP_PATH = "/saleor/app"
WEBHOOK_PATH = "/webhooks/saleor"
PRIVACY_PATH = "/saleor/privacy"
SUPPORT_PATH = "/support"
# The public metadata key on a Saleor customer holding their birthday (YYYY-MM-DD or MM-DD).
BIRTHDAY_METADATA_KEY = "birthday"

_ADDRESS = "fragment StoreflowAddress on Address { firstName lastName phone country { code } }"
_USER = (
    "fragment StoreflowUser on User { id email firstName lastName languageCode updatedAt {consent} "
    "{birthday} }"
)
_CHECKOUT = (
    "fragment StoreflowCheckout on Checkout { id token email created updatedAt languageCode {consent} "
    "user { ...StoreflowUser } billingAddress { ...StoreflowAddress } "
    "shippingAddress { ...StoreflowAddress } totalPrice { gross { amount currency } } "
    "lines { quantity unitPrice { gross { amount } } "
    "variant { id name sku product { id name thumbnail { url } } } } }"
)
_ORDER = (
    "fragment StoreflowOrder on Order { id number userEmail checkoutId created updatedAt status "
    "isPaid chargeStatus redirectUrl languageCodeEnum {consent} user { ...StoreflowUser } "
    "billingAddress { ...StoreflowAddress } shippingAddress { ...StoreflowAddress } "
    "total { gross { amount currency } } "
    "lines { productName variantName productSku quantity unitPrice { gross { amount } } "
    "thumbnail { url } variant { id product { id } } } }"
)
_CUSTOMER = (
    "fragment StoreflowCustomer on User { id email firstName lastName languageCode updatedAt {consent} "
    "{birthday} defaultBillingAddress { ...StoreflowAddress } "
    "defaultShippingAddress { ...StoreflowAddress } }"
)
_PRODUCT_BASE = (
    "fragment StoreflowProductBase on Product { id name slug updatedAt thumbnail { url } "
    "collections { name } category { name } }"
)
_VARIANT = (
    "fragment StoreflowVariant on ProductVariant { id name sku updatedAt trackInventory "
    "channelListings { price { amount currency } } stocks { quantity quantityAllocated } }"
)
_PRODUCT = "fragment StoreflowProduct on Product { ...StoreflowProductBase variants { ...StoreflowVariant } }"
_PRODUCT_VARIANT = (
    "fragment StoreflowProductVariant on ProductVariant { ...StoreflowVariant "
    "product { ...StoreflowProductBase } }"
)


@dataclass(frozen=True)
class WebhookDefinition:
    """One manifest webhook: the events it carries and the subscription that shapes their payload."""

    name: str
    events: tuple[SaleorEvent, ...]
    query: str

    def as_manifest(self, target_url: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "asyncEvents": [event.name for event in self.events],
            "query": self.query,
            "targetUrl": target_url,
            "isActive": True,
        }


def webhook_definitions(config: Config) -> tuple[WebhookDefinition, ...]:
    """Return our webhooks, their queries built with the configured consent metadata keys."""
    consent = (
        f'{EMAIL_CONSENT_FIELD}: metafield(key: "{config.saleor_consent_metadata_key}") '
        f'{SMS_CONSENT_FIELD}: metafield(key: "{config.saleor_sms_consent_metadata_key}")'
    )
    birthday = f'{BIRTHDAY_FIELD}: metafield(key: "{BIRTHDAY_METADATA_KEY}")'
    user, checkout, order, customer = (
        text.replace("{consent}", consent).replace("{birthday}", birthday)
        for text in (_USER, _CHECKOUT, _ORDER, _CUSTOMER)
    )
    return (
        _definition("Storeflow checkouts", "checkout", "StoreflowCheckout", (checkout, user, _ADDRESS)),
        _definition("Storeflow orders", "order", "StoreflowOrder", (order, user, _ADDRESS)),
        _definition("Storeflow customers", "user", "StoreflowCustomer", (customer, _ADDRESS)),
        _definition("Storeflow products", "product", "StoreflowProduct", (_PRODUCT, _PRODUCT_BASE, _VARIANT)),
        _definition(
            "Storeflow product variants",
            "productVariant",
            "StoreflowProductVariant",
            (_PRODUCT_VARIANT, _PRODUCT_BASE, _VARIANT),
        ),
        WebhookDefinition(
            "Storeflow app lifecycle",
            events_about("app"),
            "subscription StoreflowApp { event { issuedAt ... on AppDeleted { app { id } } } }",
        ),
    )


def _definition(name: str, subject: str, fragment: str, fragments: tuple[str, ...]) -> WebhookDefinition:
    """Subscribe to every event about ``subject`` with one query: ``issuedAt`` plus the fragment."""
    events = events_about(subject)
    cases = " ".join(f"... on {event.type_name} {{ {subject} {{ ...{fragment} }} }}" for event in events)
    query = " ".join((f"subscription {fragment}Events {{ event {{ issuedAt {cases} }} }}", *fragments))
    return WebhookDefinition(name, events, query)


def subscription_fragments(config: Config, webhook: str) -> str:
    """Return the fragment definitions of one of our webhooks' queries (consent keys included).

    Queries that read the same objects from the API (reconciliation, the history sync) spread
    these, so each node they get back is the webhook payload's object as is.
    """
    query = next(d.query for d in webhook_definitions(config) if d.name == webhook)
    return query[query.index(" fragment ") :]


def subscribed_events(config: Config) -> frozenset[str]:
    """Return the ``Saleor-Event`` names our manifest's webhooks subscribe to."""
    return frozenset(
        event.header for definition in webhook_definitions(config) for event in definition.events
    )


def fingerprint(config: Config) -> str:
    """Name the current webhook set (names, events, queries, target), to spot stale installations."""
    target = config.app_url + WEBHOOK_PATH
    document = [definition.as_manifest(target) for definition in webhook_definitions(config)]
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]


def manifest(config: Config) -> dict[str, Any]:
    """Return the manifest Saleor reads when a merchant installs Storeflow from its URL."""
    base = config.app_url
    return {
        "id": APP_IDENTIFIER,
        "version": APP_VERSION,
        "requiredSaleorVersion": REQUIRED_SALEOR_VERSION,
        "name": "Storeflow",
        "author": "Storeflow",
        "about": (
            "Marketing automation: abandoned checkout and cart recovery, welcome, post-purchase, "
            "back-in-stock, win-back and date flows by email and SMS, sent only with the shopper's consent."
        ),
        "permissions": list(PERMISSIONS),
        "appUrl": base + APP_PATH,
        "tokenTargetUrl": base + REGISTER_PATH,
        "dataPrivacyUrl": base + PRIVACY_PATH,
        "homepageUrl": base + "/",
        "supportUrl": base + SUPPORT_PATH,
        "webhooks": [d.as_manifest(base + WEBHOOK_PATH) for d in webhook_definitions(config)],
    }
