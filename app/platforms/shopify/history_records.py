"""The bulk queries the history sync runs, and each result object reshaped as the webhook it would be.

A customer, product or order read from a bulk operation becomes the payload of its
``customers/update``, ``products/update`` or ``orders/create`` webhook and goes through the one
Shopify normalizer (webhooks/shopify/normalize.py), so the sync and the webhooks produce the same
facts. What a webhook learns from its topic (paid, fulfilled, cancelled), an order read from the
history learns from its status fields instead.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from app.core.facts import NormalizationError, Normalized
from app.platforms.shopify.bulk_file import BulkObject
from app.platforms.shopify.recent_activity import remote_order
from app.shops.history import HistoryResource
from webhooks.payload import opt_datetime
from webhooks.shopify.normalize import normalize

HISTORY_SOURCE = "shopify:history"
# Shopify shows an order as paid in these states (a refund came after the payment).
PAID_STATES = frozenset({"paid", "partially_refunded", "refunded", "partially_paid"})
# The Order fields naming its checkout and cart arrived in the Admin API with version 2026-07.
TOKENS_SINCE_VERSION = "2026-07"

_CONSENT = "marketingState marketingOptInLevel consentUpdatedAt"
_ADDRESS = "{ firstName lastName phone countryCodeV2 }"
CUSTOMERS = (
    "{ customers%s { edges { node { id email firstName lastName phone tags createdAt updatedAt "
    "defaultAddress { countryCodeV2 } "
    f"emailMarketingConsent {{ {_CONSENT} }} smsMarketingConsent {{ {_CONSENT} }} "
    'birthDate: metafield(namespace: "facts", key: "birth_date") { value } } } } }'
)
PRODUCTS = (
    "{ products%s { edges { node { id title handle productType tags updatedAt featuredImage { url } "
    "variants { edges { node { id title price inventoryQuantity inventoryPolicy "
    "inventoryItem { id tracked } } } } } } } }"
)
ORDERS = (
    "{ orders%s { edges { node { id name email createdAt updatedAt processedAt cancelledAt "
    "displayFinancialStatus displayFulfillmentStatus statusPageUrl %s"
    "customer { id email firstName lastName phone } "
    f"shippingAddress {_ADDRESS} billingAddress {_ADDRESS} "
    "totalPriceSet { presentmentMoney { amount currencyCode } } "
    "lineItems { edges { node { id title quantity variantTitle sku "
    "originalUnitPriceSet { presentmentMoney { amount } } product { id } variant { id } } } } } } } }"
)


def bulk_query(resource: HistoryResource, since: datetime | None, api_version: str) -> str:
    """Return the bulk query reading ``resource`` (created at or after ``since``, when given)."""
    search = f"(query: \"created_at:>='{since:%Y-%m-%dT%H:%M:%SZ}'\")" if since else ""
    if resource == HistoryResource.CUSTOMERS:
        return CUSTOMERS % search
    if resource == HistoryResource.PRODUCTS:
        return PRODUCTS % search
    tokens = "checkoutToken cartToken " if api_version >= TOKENS_SINCE_VERSION else ""
    return ORDERS % (search, tokens)


def record_of(resource: HistoryResource, found: BulkObject, now: datetime) -> Normalized:
    """Reshape one result object as its webhook and normalize it; NormalizationError when unreadable.

    A node of an unexpected shape (a list where an object belongs, say) is unreadable too: one
    record lost, never the sync.
    """
    try:
        if resource == HistoryResource.CUSTOMERS:
            return _customer(found.node, now)
        if resource == HistoryResource.PRODUCTS:
            return normalize("products/update", _product(found), now)
        return _order(found, now)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, NormalizationError):
            raise
        raise NormalizationError(f"{resource.value} line {found.line}: {type(exc).__name__}") from exc


def _customer(node: dict[str, Any], now: datetime) -> Normalized:
    payload: dict[str, Any] = {
        "id": _numeric(node.get("id")),
        "email": node.get("email"),
        "first_name": node.get("firstName"),
        "last_name": node.get("lastName"),
        "phone": node.get("phone"),
        "updated_at": node.get("updatedAt"),
        "tags": ", ".join(str(tag) for tag in _list(node.get("tags"))),
        "default_address": {"country_code": _dict(node.get("defaultAddress")).get("countryCodeV2")},
    }
    birth_date = _dict(node.get("birthDate")).get("value")
    if birth_date is not None:
        payload["metafields"] = [{"namespace": "facts", "key": "birth_date", "value": birth_date}]
    for field, key in (
        ("emailMarketingConsent", "email_marketing_consent"),
        ("smsMarketingConsent", "sms_marketing_consent"),
    ):
        consent = node.get(field)
        if isinstance(consent, dict):
            state = consent.get("marketingState")
            payload[key] = {
                "state": state.lower() if isinstance(state, str) else state,
                "consent_updated_at": consent.get("consentUpdatedAt"),
            }
    normalized = normalize("customers/update", payload, now)
    consents = tuple(replace(consent, source=HISTORY_SOURCE) for consent in normalized.consents)
    return replace(normalized, consents=consents)


def _product(found: BulkObject) -> dict[str, Any]:
    node = found.node
    variants = []
    for child in found.children:
        item = _dict(child.get("inventoryItem"))
        tracked = item.get("tracked") is not False
        variants.append(
            {
                "id": _numeric(child.get("id")),
                "title": child.get("title"),
                "price": child.get("price"),
                "inventory_quantity": child.get("inventoryQuantity") if tracked else None,
                "inventory_policy": str(child.get("inventoryPolicy") or "").lower() or None,
                "inventory_item_id": _numeric(item.get("id")),
            }
        )
    return {
        "id": _numeric(node.get("id")),
        "title": node.get("title"),
        "handle": node.get("handle"),
        "product_type": node.get("productType"),
        "tags": ", ".join(str(tag) for tag in _list(node.get("tags"))),
        "updated_at": node.get("updatedAt"),
        "image": {"src": _dict(node.get("featuredImage")).get("url")},
        "variants": variants,
    }


def _order(found: BulkObject, now: datetime) -> Normalized:
    node = {**found.node, "lineItems": {"nodes": found.children}}
    payload = remote_order(node).payload
    payload["checkout_token"] = found.node.get("checkoutToken")
    payload["cart_token"] = found.node.get("cartToken")
    normalized = normalize("orders/create", payload, now)
    assert normalized.order is not None
    processed = opt_datetime(node, "processedAt") or normalized.order.placed_at
    facts = replace(
        normalized.order,
        paid_at=processed if normalized.order.financial_status in PAID_STATES else None,
        fulfilled_at=normalized.order.updated_at
        if normalized.order.fulfillment_status == "fulfilled"
        else None,
        cancelled_at=opt_datetime(node, "cancelledAt"),
    )
    return replace(normalized, order=facts)


def _numeric(gid: Any) -> str | None:
    """``gid://shopify/Order/450789469`` → ``450789469``, the id webhooks carry."""
    return str(gid).rsplit("/", 1)[-1] if isinstance(gid, str | int) and not isinstance(gid, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
