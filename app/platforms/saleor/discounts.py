"""Create a flow's discount code in a Saleor store: a single-use voucher (``voucherCreate``).

The voucher takes the whole order, one use, until the code's expiry; its percentage is set on every
channel of the store (``voucherChannelListingUpdate``). When an earlier attempt already created the
code, Saleor refuses it as taken and the voucher is looked up instead. Needs MANAGE_DISCOUNTS.
https://docs.saleor.io/api-reference/discounts/mutations/voucher-create
"""

from __future__ import annotations

from typing import Any

from app.db.models import DiscountCode, Shop
from app.discounts.errors import DiscountRefusedError, DiscountUnavailableError
from app.platforms.saleor.errors import SaleorApiError
from app.platforms.saleor.graphql import SaleorApi

CREATE = """
mutation StoreflowVoucher($input: VoucherInput!) {
  voucherCreate(input: $input) { voucher { id } errors { field code message } }
}
"""
FIND = """
query StoreflowVoucherByCode($code: String!) {
  vouchers(first: 1, filter: {search: $code}) { edges { node { id } } }
}
"""
CHANNELS = "query StoreflowChannels { channels { id } }"
LIST = """
mutation StoreflowVoucherChannels($id: ID!, $input: VoucherChannelListingInput!) {
  voucherChannelListingUpdate(id: $id, input: $input) { errors { field code message } }
}
"""
# How voucherCreate says a code exists: every 3.x release checks the codes first and answers
# ALREADY_EXISTS (3.23: on field "codes"); Django's model unique check, behind it, says UNIQUE.
CODE_TAKEN = frozenset({"ALREADY_EXISTS", "UNIQUE"})


class SaleorVouchers:
    """Make vouchers in one Saleor store through its GraphQL API."""

    def __init__(self, api: SaleorApi) -> None:
        self.api = api

    def create(self, shop: Shop, code: DiscountCode) -> str:
        """Create the voucher (or find it) with its percentage on every channel; return its id."""
        voucher_id = self._create(code)
        channels = self._execute(CHANNELS, {}).get("channels") or []
        listing = {
            "addChannels": [
                {"channelId": channel["id"], "discountValue": code.percent} for channel in channels
            ]
        }
        errors = (
            self._execute(LIST, {"id": voucher_id, "input": listing}).get("voucherChannelListingUpdate") or {}
        ).get("errors")
        if errors:
            raise DiscountRefusedError(_messages(errors))
        return voucher_id

    def _create(self, code: DiscountCode) -> str:
        voucher = {
            "name": f"Storeflow {code.flow_key} {code.code}",
            "addCodes": [code.code],
            "type": "ENTIRE_ORDER",
            "discountValueType": "PERCENTAGE",
            "usageLimit": 1,
            "singleUse": True,
            "applyOncePerCustomer": True,
            "startDate": code.created_at.isoformat(),
            "endDate": code.expires_at.isoformat(),
        }
        result = self._execute(CREATE, {"input": voucher}).get("voucherCreate") or {}
        errors = result.get("errors") or []
        if any(error.get("code") in CODE_TAKEN for error in errors):
            edges = (self._execute(FIND, {"code": code.code}).get("vouchers") or {}).get("edges") or []
            if edges:
                return str(edges[0]["node"]["id"])
        if errors:
            raise DiscountRefusedError(_messages(errors))
        voucher_id = (result.get("voucher") or {}).get("id")
        if not voucher_id:
            raise DiscountUnavailableError("Saleor answered without the voucher's id")
        return str(voucher_id)

    def _execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.api.execute(query, variables)
        except SaleorApiError as exc:
            if exc.transient:
                raise DiscountUnavailableError(str(exc)) from exc
            raise DiscountRefusedError(str(exc)) from exc


def _messages(errors: list[dict[str, Any]]) -> str:
    return "; ".join(str(error.get("message") or error.get("code")) for error in errors)
