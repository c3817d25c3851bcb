"""Shopify's side of reconciliation (app/reconcile/): recent abandoned checkouts and orders from the
GraphQL Admin API, reshaped as the webhook payloads webhooks/shopify/normalize.py reads.

The API does not expose a checkout's token, which names it in webhooks. A checkout we hold is
matched by its id or its recovery URL and keeps our token; one we never heard of is named
``reconciled-<id>``. That is why checkouts are only reconciled once Shopify has stopped retrying
their webhooks (``CHECKOUT_SETTLE``, 8 retries over about 4 hours): a real webhook can no longer
arrive under another name afterwards. Orders are named by their id everywhere, so they need no wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from app.db.models import Shop
from app.platforms.shopify.errors import ShopifyAuthError
from app.platforms.shopify.graphql import ShopifyAdmin
from app.platforms.shopify.shop_details import learn_shop_id
from app.reconcile.errors import ReconcileNoAccessError
from app.reconcile.missed import converted
from app.shops.platform import RemoteCheckout, RemoteOrder
from webhooks.payload import parse_datetime

CHECKOUT_SETTLE = timedelta(hours=4, minutes=30)
ORDER_SETTLE = timedelta(minutes=10)
PAGE_SIZE = 50
MAX_PAGES = 10
CHECKOUT_TOPICS = ("checkouts/create", "checkouts/update")
ORDER_TOPICS = {
    "placed": "orders/create",
    "paid": "orders/paid",
    "fulfilled": "orders/fulfilled",
    "cancelled": "orders/cancelled",
}

_LINES = (
    "lineItems(first: 100) { nodes { title quantity variantTitle sku "
    "originalUnitPriceSet { presentmentMoney { amount } } product { id } variant { id } } }"
)
_ADDRESS = "{ firstName lastName phone countryCodeV2 }"
_CUSTOMER = "customer { id email firstName lastName phone emailMarketingConsent { marketingState } }"
CHECKOUTS = (
    "query StoreflowCheckouts($query: String!, $after: String) { abandonedCheckouts(first: "
    f"{PAGE_SIZE}, after: $after, query: $query) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ "
    f"id abandonedCheckoutUrl createdAt updatedAt completedAt {_CUSTOMER} "
    f"shippingAddress {_ADDRESS} billingAddress {_ADDRESS} "
    f"totalPriceSet {{ presentmentMoney {{ amount currencyCode }} }} {_LINES} }} }} }}"
)
ORDERS = (
    "query StoreflowOrders($query: String!, $after: String) { orders(first: "
    f"{PAGE_SIZE}, after: $after, query: $query) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ "
    "id name email createdAt updatedAt cancelledAt displayFinancialStatus displayFulfillmentStatus "
    f"statusPageUrl {_CUSTOMER} shippingAddress {_ADDRESS} billingAddress {_ADDRESS} "
    f"totalPriceSet {{ presentmentMoney {{ amount currencyCode }} }} {_LINES} }} }} }}"
)


class ShopifyRecentActivity:
    """Page through one shop's recent checkouts and orders (at most ``MAX_PAGES`` pages a run)."""

    platform = "shopify"
    checkout_topics = CHECKOUT_TOPICS
    order_topics = ORDER_TOPICS
    checkout_settle = CHECKOUT_SETTLE
    order_settle = ORDER_SETTLE

    def __init__(self, admin: ShopifyAdmin) -> None:
        self.admin = admin

    def learn_identity(self, shop: Shop) -> None:
        """Learn the numeric id of a shop installed before it was kept: its uninstall body names it."""
        try:
            learn_shop_id(self.admin)
        except ShopifyAuthError as exc:
            raise ReconcileNoAccessError(str(exc)) from exc

    def checkouts(self, since: datetime, until: datetime) -> Iterator[RemoteCheckout]:
        yield from converted(_checkout, self._nodes(CHECKOUTS, "abandonedCheckouts", since, until))

    def orders(self, since: datetime, until: datetime) -> Iterator[RemoteOrder]:
        yield from converted(remote_order, self._nodes(ORDERS, "orders", since, until))

    def _nodes(self, query: str, field: str, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
        search = f"updated_at:>='{_stamp(since)}' AND updated_at:<='{_stamp(until)}'"
        after: str | None = None
        for _ in range(MAX_PAGES):
            try:
                page = self.admin.execute(query, {"query": search, "after": after}).get(field) or {}
            except ShopifyAuthError as exc:
                raise ReconcileNoAccessError(str(exc)) from exc
            yield from (node for node in page.get("nodes") or [] if isinstance(node, dict))
            info = page.get("pageInfo") or {}
            after = info.get("endCursor")
            if not info.get("hasNextPage") or not after:
                return


def _checkout(node: dict[str, Any]) -> RemoteCheckout:
    platform_id = _numeric(node["id"])
    customer = node.get("customer") or {}
    consent = (customer.get("emailMarketingConsent") or {}).get("marketingState")
    payload = {
        "id": platform_id,
        "token": f"reconciled-{platform_id}",
        "email": customer.get("email"),
        "abandoned_checkout_url": node.get("abandonedCheckoutUrl"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "completed_at": node.get("completedAt"),
        "buyer_accepts_marketing": consent == "SUBSCRIBED",
        "customer": _customer(customer),
        "shipping_address": _address(node.get("shippingAddress")),
        "billing_address": _address(node.get("billingAddress")),
        **_money(node),
        "line_items": _lines(node),
    }
    return RemoteCheckout(
        platform_id=platform_id,
        token=None,
        recovery_url=node.get("abandonedCheckoutUrl"),
        updated_at=parse_datetime(node["updatedAt"], "updatedAt"),
        payload=payload,
    )


def remote_order(node: dict[str, Any]) -> RemoteOrder:
    """Reshape an Admin API order node as the ``orders/*`` webhook payload (the history sync reads it too)."""
    financial = str(node.get("displayFinancialStatus") or "").lower()
    fulfillment = str(node.get("displayFulfillmentStatus") or "").lower()
    payload = {
        "id": _numeric(node["id"]),
        "name": node.get("name"),
        "email": node.get("email"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "cancelled_at": node.get("cancelledAt"),
        "financial_status": financial or None,
        "fulfillment_status": fulfillment or None,
        "order_status_url": node.get("statusPageUrl"),
        "customer": _customer(node.get("customer") or {}),
        "shipping_address": _address(node.get("shippingAddress")),
        "billing_address": _address(node.get("billingAddress")),
        **_money(node),
        "line_items": _lines(node),
    }
    return RemoteOrder(
        platform_id=payload["id"],
        updated_at=parse_datetime(node["updatedAt"], "updatedAt"),
        paid=financial == "paid",
        fulfilled=fulfillment == "fulfilled",
        cancelled=node.get("cancelledAt") is not None,
        payload=payload,
    )


def _numeric(gid: str) -> str:
    """``gid://shopify/Order/450789469`` → ``450789469``, the id webhooks carry."""
    return str(gid).rsplit("/", 1)[-1]


def _customer(customer: dict[str, Any]) -> dict[str, Any] | None:
    if not customer:
        return None
    return {
        "id": _numeric(customer["id"]) if customer.get("id") else None,
        "email": customer.get("email"),
        "first_name": customer.get("firstName"),
        "last_name": customer.get("lastName"),
        "phone": customer.get("phone"),
    }


def _address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    if not address:
        return None
    return {
        "first_name": address.get("firstName"),
        "last_name": address.get("lastName"),
        "phone": address.get("phone"),
        "country_code": address.get("countryCodeV2"),
    }


def _money(node: dict[str, Any]) -> dict[str, Any]:
    money = ((node.get("totalPriceSet") or {}).get("presentmentMoney")) or {}
    return {"presentment_currency": money.get("currencyCode"), "total_price": money.get("amount")}


def _lines(node: dict[str, Any]) -> list[dict[str, Any]]:
    lines = []
    for line in ((node.get("lineItems") or {}).get("nodes")) or []:
        price = ((line.get("originalUnitPriceSet") or {}).get("presentmentMoney") or {}).get("amount")
        lines.append(
            {
                "title": line.get("title"),
                "quantity": line.get("quantity") or 1,
                "price": price,
                "variant_title": line.get("variantTitle"),
                "sku": line.get("sku"),
                "product_id": _numeric((line.get("product") or {}).get("id") or "") or None,
                "variant_id": _numeric((line.get("variant") or {}).get("id") or "") or None,
            }
        )
    return lines


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
