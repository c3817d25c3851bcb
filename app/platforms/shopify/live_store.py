"""Shopify's answers to the send-time store check (app/storecheck/), through the GraphQL Admin API with the
shop's offline token (app/platforms/shopify/graphql.py).

- A checkout or cart was bought when an order carries its token: ``orders(query:
  "checkout_token:…")`` and ``cart_token:…`` are documented filters of the ``orders`` query (the
  abandoned-checkout object has no token to look it up by; PLATFORMS.md, "Checkouts").
- A variant: ``productVariant(id:) { availableForSale price }`` (``price`` is a Money scalar, the
  shop's default currency; ``availableForSale`` already weighs tracked inventory and "continue
  selling when out of stock").
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from app.platforms.shopify.errors import ShopifyError
from app.platforms.shopify.graphql import ShopifyAdmin
from app.shops.platform import VariantFacts
from app.storecheck.errors import StoreUnreachableError

ORDER_FOR = "query StoreflowOrderFor($query: String!) { orders(first: 1, query: $query) { nodes { id } } }"
VARIANT = "query StoreflowVariantNow($id: ID!) { productVariant(id: $id) { id availableForSale price } }"
VARIANT_GID = "gid://shopify/ProductVariant/"
# Tokens are hex or base62 with dashes; anything else must not reach the search syntax.
SEARCH_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]")


class ShopifyLiveStore:
    def __init__(self, admin: ShopifyAdmin) -> None:
        self.admin = admin

    def checkout_ordered(self, token: str) -> bool | None:
        return self._ordered("checkout_token", token)

    def cart_ordered(self, token: str) -> bool | None:
        return self._ordered("cart_token", token)

    def variant(self, variant_id: str) -> VariantFacts:
        gid = variant_id if variant_id.startswith("gid://") else f"{VARIANT_GID}{variant_id}"
        node = self._execute(VARIANT, {"id": gid}).get("productVariant")
        if not isinstance(node, dict):
            return VariantFacts(available=False, price=None)
        return VariantFacts(available=node.get("availableForSale") is True, price=_money(node.get("price")))

    def _ordered(self, field: str, token: str) -> bool:
        search = f"{field}:{SEARCH_UNSAFE.sub('', token)}"
        orders = self._execute(ORDER_FOR, {"query": search}).get("orders") or {}
        return bool(orders.get("nodes"))

    def _execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.admin.execute(query, variables)
        except (ShopifyError, httpx.HTTPError) as exc:
            raise StoreUnreachableError(str(exc)) from exc


def _money(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None
