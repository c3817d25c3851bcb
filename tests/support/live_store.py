"""The stores' own APIs at the HTTP boundary, answering the send-time check (app/storecheck/) as the
platforms document: Shopify's ``orders(query: "checkout_token:…")`` and ``productVariant``, Saleor's
``checkout(id:)`` (null once it became an order) and ``productVariant`` with stocks and listings."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import respx
from flask import Flask

from app.db import db
from app.db.models import Shop
from tests.support.saleor import API_URL
from tests.support.shopify_api import graphql_url


@dataclass
class FakeLiveStore:
    """What the store holds now: checkouts and carts that became orders, variants' stock and price.

    ``down`` makes every call fail (Shopify: no connection; Saleor: 503). ``queries`` records the
    operation of every request, so a test can count what the cache saved.
    """

    ordered: set[str] = field(default_factory=set)
    variants: dict[str, tuple[int, str]] = field(default_factory=dict)
    down: bool = False
    queries: list[str] = field(default_factory=list)

    def connect(self, app: Flask, shop_id: int, router: respx.Router, http: Any) -> None:
        """Give the shop an API token and route its platform's GraphQL endpoint here."""
        with app.app_context():
            shop = db.session.get_one(Shop, shop_id)
            shop.access_token_enc = app.extensions["storeflow"].cipher.encrypt("test-token")
            platform = shop.platform
            db.session.commit()
        if platform == "shopify":
            router.post(graphql_url()).mock(side_effect=self.shopify)
        else:
            http.add_callback("POST", API_URL, callback=self.saleor)

    def shopify(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.queries.append(body["query"].split("(")[0])
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        variables = body.get("variables") or {}
        if "StoreflowOrderFor" in body["query"]:
            token = variables["query"].split(":", 1)[1]
            nodes = [{"id": "gid://shopify/Order/1"}] if token in self.ordered else []
            return httpx.Response(200, json={"data": {"orders": {"nodes": nodes}}})
        variant_id = variables["id"].rsplit("/", 1)[1]
        if variant_id not in self.variants:
            return httpx.Response(200, json={"data": {"productVariant": None}})
        stock, price = self.variants[variant_id]
        node = {"id": variables["id"], "availableForSale": stock > 0, "price": price}
        return httpx.Response(200, json={"data": {"productVariant": node}})

    def saleor(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        self.queries.append(body["query"].split("(")[0])
        if self.down:
            return 503, {}, json.dumps({"errors": [{"message": "Service unavailable"}]})
        variables = body.get("variables") or {}
        if "StoreflowCheckoutNow" in body["query"]:
            token = base64.b64decode(variables["id"]).decode().split(":", 1)[1]
            checkout = None if token in self.ordered else {"id": variables["id"]}
            return 200, {}, json.dumps({"data": {"checkout": checkout}})
        if variables["id"] not in self.variants:
            return 200, {}, json.dumps({"data": {"productVariant": None}})
        stock, price = self.variants[variables["id"]]
        node = {
            "id": variables["id"],
            "trackInventory": True,
            "channelListings": [{"price": {"amount": float(price)}}],
            "stocks": [{"quantity": stock, "quantityAllocated": 0}],
        }
        return 200, {}, json.dumps({"data": {"productVariant": node}})
