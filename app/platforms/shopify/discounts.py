"""Create a flow's discount code in a Shopify store: ``discountCodeBasicCreate`` (GraphQL Admin API).

One code, one use, for the whole order, valid until the code's expiry. The code is ours (chosen and
stored before this call); when an earlier attempt already created it, Shopify answers that the code
is taken, which counts as created. Needs the ``write_discounts`` scope.
https://shopify.dev/docs/api/admin-graphql/latest/mutations/discountCodeBasicCreate
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.db.models import DiscountCode, Shop
from app.discounts.errors import DiscountRefusedError, DiscountUnavailableError
from app.platforms.shopify.errors import ShopifyApiError, ShopifyAuthError
from app.platforms.shopify.graphql import ShopifyAdmin

CREATE = """
mutation StoreflowDiscount($discount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $discount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}
"""
FIND = """
query StoreflowDiscountByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) { id }
}
"""
TAKEN = "TAKEN"


class ShopifyDiscounts:
    """Make discount codes in one Shopify store through its Admin API client."""

    def __init__(self, admin: ShopifyAdmin) -> None:
        self.admin = admin

    def create(self, shop: Shop, code: DiscountCode) -> str:
        """Create the code (or find it, if an earlier attempt made it) and return its node id."""
        discount = {
            "title": f"Storeflow {code.flow_key} {code.code}",
            "code": code.code,
            "startsAt": code.created_at.isoformat(),
            "endsAt": code.expires_at.isoformat(),
            "context": {"all": "ALL"},
            "customerGets": {
                "value": {"percentage": float(Decimal(code.percent) / 100)},
                "items": {"all": True},
            },
            "usageLimit": 1,
            "appliesOncePerCustomer": True,
        }
        result = self._execute(CREATE, {"discount": discount}).get("discountCodeBasicCreate") or {}
        errors = result.get("userErrors") or []
        if any(error.get("code") == TAKEN for error in errors):
            found = self._execute(FIND, {"code": code.code}).get("codeDiscountNodeByCode") or {}
            if found.get("id"):
                return str(found["id"])
        if errors:
            raise DiscountRefusedError("; ".join(str(error.get("message")) for error in errors))
        node = result.get("codeDiscountNode") or {}
        if not node.get("id"):
            raise DiscountUnavailableError("Shopify answered without the discount's id")
        return str(node["id"])

    def _execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.admin.execute(query, variables)
        except ShopifyAuthError as exc:
            raise DiscountRefusedError(str(exc)) from exc
        except ShopifyApiError as exc:
            if exc.status is None or exc.status == 429 or exc.status >= 500:
                raise DiscountUnavailableError(str(exc)) from exc
            raise DiscountRefusedError(str(exc)) from exc
