"""Shopify's side of the history sync: one GraphQL bulk operation per resource, its JSONL streamed.

For each resource the reader starts a ``bulkOperationRunQuery`` (with ``groupObjects: true``, see
app/platforms/shopify/bulk_file.py) and hands the runner a first, empty page whose cursor names
the operation, so the operation is remembered before anything waits on it. Until Shopify says it
is complete (``node(id:)`` polled, or the ``bulk_operations/finish`` webhook waking the job early)
the reader raises HistoryNotReadyError. Once complete, the file at the operation's ``url`` is
streamed line by line, a page at a time; each page's cursor is ``<operation id>|<line>``, the
line the next page starts at, so a crash resumes mid-file and a failed or expired operation is
replaced by a new one.

One bulk query runs at a time per shop and app (before API 2026-01); the resources are read one
after another, and a shop that is running one already (another app instance) is waited for.
Without ``read_all_orders`` Shopify returns the last 60 days of orders only: the reader syncs
those and tells the merchant.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from app.core.clock import Clock
from app.core.facts import NormalizationError, Normalized
from app.db.models import Shop
from app.platforms.shopify.bulk_file import BulkObject, lines_of, objects
from app.platforms.shopify.errors import ShopifyApiError, ShopifyAuthError
from app.platforms.shopify.graphql import ShopifyAdmin
from app.platforms.shopify.history_records import bulk_query, record_of
from app.platforms.shopify.sdk import http_client_scope
from app.platforms.shopify.throttle import Throttle
from app.shops.history import (
    HistoryAccessError,
    HistoryNotReadyError,
    HistoryPage,
    HistoryResource,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 500
POLL_SECONDS = 30.0  # how long to wait for a running operation (the finish webhook comes sooner)
BUSY_SECONDS = 60.0  # another bulk query of ours runs in the shop
CALL_COST = 10.0  # what starting or polling an operation may cost, at most
ALL_ORDERS_SCOPE = "read_all_orders"
RECENT_ORDERS_ONLY = (
    "Shopify lets Storeflow read the last 60 days of orders only. Open Storeflow from your Shopify "
    "admin to grant access to all orders, then sync again to read older ones."
)
UNFINISHED = frozenset({"CREATED", "RUNNING", "CANCELING"})
REPLACED = frozenset({"FAILED", "CANCELED", "EXPIRED"})

RUN = (
    "mutation StoreflowHistory($query: String!) { bulkOperationRunQuery(query: $query, "
    "groupObjects: true) { bulkOperation { id status } userErrors { field message code } } }"
)
POLL = (
    "query StoreflowHistoryStatus($id: ID!) { node(id: $id) { ... on BulkOperation { id status "
    "errorCode objectCount rootObjectCount url partialDataUrl } } }"
)


class ShopifyHistory:
    """Read one shop's customers, products and orders through bulk operations."""

    resources: tuple[HistoryResource, ...] = (
        HistoryResource.CUSTOMERS,
        HistoryResource.PRODUCTS,
        HistoryResource.ORDERS,
    )

    def __init__(
        self,
        admin: ShopifyAdmin,
        shop: Shop,
        clock: Clock,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.admin = admin
        self.scopes = set((shop.scopes or "").split(","))
        self.clock = clock
        self.http_client = http_client
        self.throttle = Throttle()

    def pages(
        self, resource: HistoryResource, cursor: str | None, since: datetime | None
    ) -> Iterator[HistoryPage]:
        if cursor is None:
            yield self._start(resource, since)
            raise HistoryNotReadyError("the bulk operation was started", POLL_SECONDS)
        operation_id, _, line = cursor.rpartition("|")
        operation = self._operation(operation_id)
        status = str(operation.get("status") or "")
        if status in UNFINISHED:
            raise HistoryNotReadyError(f"the bulk operation is {status.lower()}", POLL_SECONDS)
        if status in REPLACED or not operation:
            if operation.get("errorCode") == "ACCESS_DENIED":
                raise HistoryAccessError(f"Shopify refused to read the {resource.value}")
            log.info("bulk operation %s is %s; starting another", operation_id, status or "gone")
            yield self._start(resource, since)
            raise HistoryNotReadyError("the bulk operation was started again", POLL_SECONDS)
        total = _count(operation.get("rootObjectCount"))
        url = operation.get("url")
        if not isinstance(url, str) or not url:  # completed with no rows at all
            yield HistoryPage((), None, total=0, notice=self._notice(resource))
            return
        yield from self._read(resource, operation_id, url, int(line or 0), total)

    def _read(
        self, resource: HistoryResource, operation_id: str, url: str, start: int, total: int | None
    ) -> Iterator[HistoryPage]:
        """Stream the file from line ``start``, a page of ``PAGE_SIZE`` objects at a time."""
        notice = self._notice(resource)
        records: list[Normalized] = []
        skipped = 0
        now = self.clock.now()
        with http_client_scope(self.http_client) as client, client.stream("GET", url) as response:
            response.raise_for_status()
            for found in objects(lines_of(response.iter_bytes()), start):
                # A page ends where an object starts: resuming there re-reads it and its children whole.
                if isinstance(found, BulkObject) and len(records) >= PAGE_SIZE:
                    yield HistoryPage(tuple(records), f"{operation_id}|{found.line}", total, skipped, notice)
                    records, skipped = [], 0
                if not isinstance(found, BulkObject):
                    skipped += 1
                    continue
                try:
                    records.append(record_of(resource, found, now))
                except NormalizationError as exc:
                    log.info("history line %s of %s left out: %s", found.line, operation_id, exc)
                    skipped += 1
        yield HistoryPage(tuple(records), None, total, skipped, notice)

    def _start(self, resource: HistoryResource, since: datetime | None) -> HistoryPage:
        """Start the resource's bulk operation; return the empty page that remembers it."""
        data = self._call(RUN, {"query": bulk_query(resource, since, self.admin.api_version)})
        payload = data.get("bulkOperationRunQuery") or {}
        errors = payload.get("userErrors") or []
        if errors:
            codes = {str(error.get("code")) for error in errors if isinstance(error, dict)}
            if "OPERATION_IN_PROGRESS" in codes:
                raise HistoryNotReadyError("another bulk operation runs in the shop", BUSY_SECONDS)
            raise HistoryAccessError(f"Shopify refused to read the {resource.value}: {errors}")
        operation_id = str((payload.get("bulkOperation") or {}).get("id") or "")
        if not operation_id:
            raise ShopifyApiError("bulkOperationRunQuery returned no operation")
        return HistoryPage((), f"{operation_id}|0", notice=self._notice(resource))

    def _operation(self, operation_id: str) -> dict[str, Any]:
        node = self._call(POLL, {"id": operation_id}).get("node")
        return node if isinstance(node, dict) else {}

    def _call(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run one call within the throttle: wait (by raising) rather than be refused."""
        wait = self.throttle.wait_for(CALL_COST)
        if wait > 0:
            raise HistoryNotReadyError("Shopify's API throttle is refilling", wait)
        try:
            data, extensions = self.admin.execute_costed(query, variables)
        except ShopifyAuthError as exc:
            raise HistoryAccessError(str(exc)) from exc
        except ShopifyApiError as exc:
            if "throttled" in str(exc).lower():
                raise HistoryNotReadyError("Shopify throttled the call", 2.0) from exc
            raise
        self.throttle.note(extensions)
        return data

    def _notice(self, resource: HistoryResource) -> str | None:
        if resource == HistoryResource.ORDERS and ALL_ORDERS_SCOPE not in self.scopes:
            return RECENT_ORDERS_ONLY
        return None


def _count(value: Any) -> int | None:
    """Read an UnsignedInt64 count (a string in JSON) as an int, if it is one."""
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    return int(text) if text.isdigit() and len(text) < 19 else None
