"""Saleor's answers to the send-time store check (app/storecheck/), through its GraphQL API with the
app token (app/platforms/saleor/graphql.py, SSRF-guarded).

- A checkout: ``checkout(id:)`` answers null once the checkout became an order (Saleor deletes a
  completed checkout) or expired; either way a reminder would be stale. Saleor has no carts apart
  from checkouts, so a cart cannot be checked here.
- A variant: the same fields the product webhooks carry (app/platforms/saleor/manifest.py, MANAGE_PRODUCTS):
  ``stocks { quantity quantityAllocated }`` when inventory is tracked, and the first channel
  listing's price, as webhooks/saleor/normalize.py reads them.
"""

from __future__ import annotations

import base64
from decimal import Decimal, InvalidOperation
from typing import Any

from app.platforms.saleor.errors import SaleorApiError
from app.platforms.saleor.graphql import SaleorApi
from app.shops.platform import VariantFacts
from app.storecheck.errors import StoreUnreachableError

CHECKOUT = "query StoreflowCheckoutNow($id: ID!) { checkout(id: $id) { id } }"
VARIANT = (
    "query StoreflowVariantNow($id: ID!) { productVariant(id: $id) { id trackInventory "
    "channelListings { price { amount } } stocks { quantity quantityAllocated } } }"
)


class SaleorLiveStore:
    def __init__(self, api: SaleorApi) -> None:
        self.api = api

    def checkout_ordered(self, token: str) -> bool | None:
        global_id = base64.b64encode(f"Checkout:{token}".encode()).decode()
        return self._execute(CHECKOUT, {"id": global_id}).get("checkout") is None

    def cart_ordered(self, token: str) -> bool | None:
        return None

    def variant(self, variant_id: str) -> VariantFacts:
        node = self._execute(VARIANT, {"id": variant_id}).get("productVariant")
        if not isinstance(node, dict):
            return VariantFacts(available=False, price=None)
        return VariantFacts(available=_available(node), price=_price(node))

    def _execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.api.execute(query, variables)
        except SaleorApiError as exc:
            raise StoreUnreachableError(str(exc)) from exc


def _available(node: dict[str, Any]) -> bool:
    if node.get("trackInventory") is False:
        return True
    stocks = [s for s in node.get("stocks") or [] if isinstance(s, dict)]
    return sum(int(s.get("quantity") or 0) - int(s.get("quantityAllocated") or 0) for s in stocks) > 0


def _price(node: dict[str, Any]) -> Decimal | None:
    listings = [item for item in node.get("channelListings") or [] if isinstance(item, dict)]
    price = listings[0].get("price") if listings else None
    amount = price.get("amount") if isinstance(price, dict) else None
    try:
        return Decimal(str(amount)) if amount is not None else None
    except InvalidOperation:
        return None
