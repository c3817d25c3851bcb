"""The platforms' discount APIs at the HTTP boundary: Shopify's ``discountCodeBasicCreate`` and
Saleor's voucher mutations, answering as the platforms document (a taken code is a user error)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import respx
from flask import Flask
from requests import PreparedRequest

from app.db import db
from app.db.models import Shop
from tests.support.saleor import API_URL
from tests.support.shopify_api import graphql_url

CHANNEL_ID = "Q2hhbm5lbDox"  # Channel:1


class FakeDiscountApi:
    """Record the codes each platform was asked to create; fail the first ``failures`` calls with 503."""

    def __init__(self, failures: int = 0, saleor_taken: str = "ALREADY_EXISTS") -> None:
        self.failures = failures
        # What voucherCreate answers for a code that exists: Saleor 3.23 says ALREADY_EXISTS on "codes".
        self.saleor_taken = saleor_taken
        self.codes: list[str] = []
        self.requests: list[dict[str, Any]] = []

    def connect(self, app: Flask, shop_id: int, router: respx.Router | None, http: Any) -> None:
        """Give the shop an API token and route its platform's GraphQL endpoint here."""
        with app.app_context():
            shop = db.session.get_one(Shop, shop_id)
            shop.access_token_enc = app.extensions["storeflow"].cipher.encrypt("test-token")
            platform = shop.platform
            db.session.commit()
        if platform == "shopify":
            assert router is not None
            router.post(graphql_url()).mock(side_effect=self.shopify)
        else:
            http.add_callback("POST", API_URL, callback=self.saleor)

    def _answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.requests.append(body)
        if self.failures:
            self.failures -= 1
            return 503, {"errors": [{"message": "Service unavailable"}]}
        return 200, {}

    def shopify(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        status, _ = self._answer(body)
        if status != 200:
            return httpx.Response(status, json={"errors": "Service unavailable"})
        query, variables = body["query"], body.get("variables") or {}
        if "discountCodeBasicCreate" in query:
            code = variables["discount"]["code"]
            if code in self.codes:
                error = {
                    "field": ["basicCodeDiscount", "code"],
                    "code": "TAKEN",
                    "message": "Code must be unique.",
                }
                return httpx.Response(
                    200,
                    json={
                        "data": {"discountCodeBasicCreate": {"codeDiscountNode": None, "userErrors": [error]}}
                    },
                )
            self.codes.append(code)
            node = {"id": f"gid://shopify/DiscountCodeNode/{len(self.codes)}"}
            return httpx.Response(
                200, json={"data": {"discountCodeBasicCreate": {"codeDiscountNode": node, "userErrors": []}}}
            )
        if "codeDiscountNodeByCode" in query:
            found = self.codes.index(variables["code"]) + 1
            return httpx.Response(
                200,
                json={"data": {"codeDiscountNodeByCode": {"id": f"gid://shopify/DiscountCodeNode/{found}"}}},
            )
        return httpx.Response(200, json={"errors": [{"message": "unexpected query"}]})

    def saleor(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or b"{}")
        if "StoreflowVoucher" not in body.get("query", "") and "StoreflowChannels" not in body.get(
            "query", ""
        ):
            return 200, {}, json.dumps({"errors": [{"message": "unexpected query"}]})
        status, _ = self._answer(body)
        if status != 200:
            return status, {}, json.dumps({"errors": [{"message": "Service unavailable"}]})
        query, variables = body["query"], body.get("variables") or {}
        if "voucherCreate" in query:
            (code,) = variables["input"]["addCodes"]
            if code in self.codes:
                error = {"field": "codes", "code": self.saleor_taken, "message": "Promo code already exists."}
                return 200, {}, json.dumps({"data": {"voucherCreate": {"voucher": None, "errors": [error]}}})
            self.codes.append(code)
            return (
                200,
                {},
                json.dumps(
                    {
                        "data": {
                            "voucherCreate": {
                                "voucher": {"id": f"Vm91Y2hlcjo{len(self.codes)}"},
                                "errors": [],
                            }
                        }
                    }
                ),
            )
        if "vouchers(" in query:
            found = self.codes.index(variables["code"]) + 1
            return (
                200,
                {},
                json.dumps({"data": {"vouchers": {"edges": [{"node": {"id": f"Vm91Y2hlcjo{found}"}}]}}}),
            )
        if "channels" in query and "voucherChannelListingUpdate" not in query:
            return 200, {}, json.dumps({"data": {"channels": [{"id": CHANNEL_ID}]}})
        return 200, {}, json.dumps({"data": {"voucherChannelListingUpdate": {"errors": []}}})
