"""Shopify's bulk operations at the HTTP boundary: the Admin GraphQL calls (respx) and the JSONL
result files, served over real HTTP from 127.0.0.1 as Shopify's storage serves them.

The lines follow the documented JSONL format: one object per line, an order's line items and a
product's variants as lines of their own naming their parent in ``__parentId``, each directly after
its parent (``groupObjects: true``). https://shopify.dev/docs/api/usage/bulk-operations/queries
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import respx

from tests.support.shopify_api import graphql_url

CHUNK = 64 * 1024


class FileServer:
    """Serve files by path over HTTP on 127.0.0.1, streamed in chunks; record each request's path."""

    def __init__(self) -> None:
        self.files: dict[str, Path | bytes] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/jsonl")
                self.end_headers()
                if isinstance(body, bytes):
                    self.wfile.write(body)
                    return
                with body.open("rb") as stream:
                    while chunk := stream.read(CHUNK):
                        self.wfile.write(chunk)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Operation:
    id: str
    resource: str
    query: str
    status: str = "RUNNING"
    error_code: str | None = None


@dataclass
class FakeBulkApi:
    """Answer ``bulkOperationRunQuery`` and ``node(id:)`` like Shopify, with the throttle's state."""

    files: FileServer
    results: dict[str, Path | bytes] = field(default_factory=dict)  # resource → its JSONL
    operations: list[Operation] = field(default_factory=list)
    available: float = 1000.0  # the throttle bucket's points after each answer
    user_errors: list[dict[str, str]] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    instant: bool = False  # operations complete as soon as they start (a small shop)

    def mount(self, router: respx.Router) -> None:
        router.post(graphql_url()).mock(side_effect=self)
        router.route(host="127.0.0.1").pass_through()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        query: str = body["query"]
        self.queries.append(query)
        if "bulkOperationRunQuery" in query:
            data = {"bulkOperationRunQuery": self._run(body["variables"]["query"])}
        elif "node(id:" in query:
            data = {"node": self._node(body["variables"]["id"])}
        else:
            return httpx.Response(200, json={"errors": [{"message": "unexpected query"}]})
        return httpx.Response(200, json={"data": data, "extensions": self._cost()})

    def _run(self, bulk_query: str) -> dict[str, Any]:
        if self.user_errors:
            return {"bulkOperation": None, "userErrors": self.user_errors}
        resource = next(
            r for r in ("customers", "products", "orders") if bulk_query.lstrip("{ ").startswith(r)
        )
        operation = Operation(f"gid://shopify/BulkOperation/{len(self.operations) + 1}", resource, bulk_query)
        if self.instant:
            operation.status = "COMPLETED"
        self.operations.append(operation)
        return {"bulkOperation": {"id": operation.id, "status": "CREATED"}, "userErrors": []}

    def _node(self, operation_id: str) -> dict[str, Any] | None:
        operation = next((o for o in self.operations if o.id == operation_id), None)
        if operation is None:
            return None
        node: dict[str, Any] = {
            "id": operation.id,
            "status": operation.status,
            "errorCode": operation.error_code,
        }
        if operation.status == "COMPLETED":
            path = f"/bulk/{operation.id.rsplit('/', 1)[-1]}.jsonl"
            result = self.results.get(operation.resource, b"")
            self.files.files[path] = result
            empty = result == b""
            node.update(
                url=None if empty else f"{self.files.base_url}{path}",
                rootObjectCount=str(_roots(result)),
                objectCount=str(_roots(result)),
            )
        return node

    def finish_all(self) -> None:
        """Complete every running operation, as Shopify does when the file is written."""
        for operation in self.operations:
            if operation.status in {"CREATED", "RUNNING"}:
                operation.status = "COMPLETED"

    def _cost(self) -> dict[str, Any]:
        status = {"maximumAvailable": 2000.0, "currentlyAvailable": self.available, "restoreRate": 100.0}
        return {"cost": {"requestedQueryCost": 10, "actualQueryCost": 10, "throttleStatus": status}}


def _roots(result: Path | bytes) -> int:
    if isinstance(result, Path):
        with result.open("rb") as stream:
            return sum(1 for line in stream if b'"__parentId"' not in line)
    return sum(1 for line in result.splitlines() if line.strip() and b'"__parentId"' not in line)


@contextmanager
def bulk_api(router: respx.Router) -> Iterator[FakeBulkApi]:
    """A fake Shopify bulk API mounted on ``router``, its files served until the block ends."""
    with FileServer() as files:
        fake = FakeBulkApi(files)
        fake.mount(router)
        yield fake


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    """Write rows as Shopify writes the file: compact JSON, one object a line."""
    return b"".join(json.dumps(row, separators=(",", ":")).encode() + b"\n" for row in rows)


def customer_row(number: int, email_state: str = "SUBSCRIBED", **changes: Any) -> dict[str, Any]:
    """A customer line of the customers bulk query (tests' shopper ``number``)."""
    row: dict[str, Any] = {
        "id": f"gid://shopify/Customer/{1000 + number}",
        "email": f"shopper{number}@example.com",
        "firstName": "Ann",
        "lastName": "Lee",
        "phone": None,
        "tags": ["returning"],
        "createdAt": "2025-01-10T09:00:00Z",
        "updatedAt": "2025-06-01T09:00:00Z",
        "defaultAddress": {"countryCodeV2": "US"},
        "emailMarketingConsent": {
            "marketingState": email_state,
            "marketingOptInLevel": "SINGLE_OPT_IN",
            "consentUpdatedAt": "2025-01-10T09:05:00Z",
        },
        "smsMarketingConsent": None,
        "birthDate": None,
    }
    row.update(changes)
    return row


def order_rows(
    number: int, shopper: int, created_at: str, total: str = "58.00", **changes: Any
) -> list[dict[str, Any]]:
    """An order line and its line item's line, as the orders bulk query writes them."""
    order_id = f"gid://shopify/Order/{5778367410000 + number}"
    order: dict[str, Any] = {
        "id": order_id,
        "name": f"#{number}",
        "email": f"shopper{shopper}@example.com",
        "createdAt": created_at,
        "updatedAt": created_at,
        "processedAt": created_at,
        "cancelledAt": None,
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "FULFILLED",
        "statusPageUrl": f"https://shop.demo.test/orders/{number}",
        "checkoutToken": None,
        "cartToken": None,
        "customer": {
            "id": f"gid://shopify/Customer/{1000 + shopper}",
            "email": f"shopper{shopper}@example.com",
            "firstName": "Ann",
            "lastName": "Lee",
            "phone": None,
        },
        "shippingAddress": {"firstName": "Ann", "lastName": "Lee", "phone": None, "countryCodeV2": "US"},
        "billingAddress": None,
        "totalPriceSet": {"presentmentMoney": {"amount": total, "currencyCode": "USD"}},
    }
    order.update(changes)
    line = {
        "id": f"gid://shopify/LineItem/{9000 + number}",
        "title": "Linen shirt",
        "quantity": 1,
        "variantTitle": None,
        "sku": "SHIRT-1",
        "originalUnitPriceSet": {"presentmentMoney": {"amount": total}},
        "product": {"id": "gid://shopify/Product/632910393"},
        "variant": {"id": "gid://shopify/ProductVariant/808950811"},
        "__parentId": order_id,
    }
    return [order, line]


def product_rows(number: int, stock: int | None = 5, price: str = "58.00") -> list[dict[str, Any]]:
    """A product line and its variant's line, as the products bulk query writes them."""
    product_id = f"gid://shopify/Product/{632910392 + number}"
    return [
        {
            "id": product_id,
            "title": "Linen shirt",
            "handle": "linen-shirt",
            "productType": "Shirts",
            "tags": ["summer"],
            "updatedAt": "2025-06-01T09:00:00Z",
            "featuredImage": {"url": "https://cdn.shopify.com/shirt.png"},
        },
        {
            "id": f"gid://shopify/ProductVariant/{808950810 + number}",
            "title": "M",
            "price": price,
            "inventoryQuantity": stock,
            "inventoryPolicy": "DENY",
            "inventoryItem": {
                "id": f"gid://shopify/InventoryItem/{341629 + number}",
                "tracked": stock is not None,
            },
            "__parentId": product_id,
        },
    ]
