"""Saleor's past for the history sync (app/shops/history.py): its customers, products and orders,
a page of up to 100 at a time through the instance's GraphQL API with the app token.

Each node is a webhook payload's object (app/platforms/saleor/history_queries.py) and becomes the
``Normalized`` fact webhooks/saleor/normalize.py makes of that webhook. A node carries no
``issuedAt``, so, as for any payload without one, its facts are dated by the object's own
``updatedAt`` (the time the page was read when it has none): a webhook issued later wins under
the stale-update rules, and a paid or fulfilled order is dated near when it happened, not at the sync.

Within Saleor's limits: each query's cost (app/platforms/saleor/query_cost.py) stays under the
instance's budget, a query Saleor still finds too costly is asked again with half the page, a 429
or an unanswered request is retried after a backoff, and a missing permission ends the resource
with a message the merchant can act on. A node the normalizer cannot read is skipped, counted in
``skipped`` (and in its page's, which the sync counts as errors) and logged, so one bad record never
stops a shop's sync.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from app.core.clock import Clock
from app.core.config import Config
from app.core.facts import NormalizationError, Normalized
from app.platforms.saleor.errors import SaleorApiError
from app.platforms.saleor.graphql import QUERY_COST_ERROR, SaleorApi
from app.platforms.saleor.history_queries import HISTORY_QUERIES, HistoryQuery
from app.platforms.saleor.query_cost import DEFAULT_MAX_COMPLEXITY, PAGINATION_LIMIT, query_cost
from app.shops.history import (
    HistoryAccessError,
    HistoryNotReadyError,
    HistoryPage,
    HistoryResource,
)
from webhooks.payload import opt_datetime
from webhooks.saleor.normalize import normalize

log = logging.getLogger(__name__)

# Waits before the 2nd, 3rd and 4th try of a request Saleor did not answer or asked us to slow down.
BACKOFF_SECONDS = (1.0, 2.0, 4.0)
# A 429 asking for a longer wait than this hands the wait to the sync instead of blocking a worker.
LONGEST_WAIT_SECONDS = 30.0
PERMISSION_DENIED = "PermissionDenied"
_PERMISSIONS = re.compile(r"following permissions: ([A-Z_]+(?:, [A-Z_]+)*)")


def page_size(query: str, max_complexity: int) -> int:
    """The largest page (at most Saleor's 100) whose query costs no more than ``max_complexity``."""
    per_record = query_cost(query, {"first": 1})
    return max(1, min(PAGINATION_LIMIT, max_complexity // per_record))


class SaleorHistory:
    """One Saleor instance's customers, products and orders, page by page from a Relay cursor."""

    resources: tuple[HistoryResource, ...] = tuple(HistoryResource)  # customers, products, orders

    def __init__(
        self,
        api: SaleorApi,
        config: Config,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
        max_complexity: int = DEFAULT_MAX_COMPLEXITY,
    ) -> None:
        self.api = api
        self.config = config
        self.clock = clock
        self.sleep = sleep
        self.max_complexity = max_complexity
        # Records Saleor returned that no rule could read, per resource: the sync's error count.
        self.skipped: Counter[HistoryResource] = Counter()
        self._page_sizes: dict[HistoryResource, int] = {}

    def pages(
        self, resource: HistoryResource, cursor: str | None, since: datetime | None
    ) -> Iterator[HistoryPage]:
        spec = HISTORY_QUERIES[resource]
        query = spec.text(self.config, since_filtered=since is not None)
        self._page_sizes.setdefault(resource, page_size(query, self.max_complexity))
        after = cursor
        while True:
            read_at = self.clock.now()
            connection = self._connection(spec, query, after, since)
            skipped_before = self.skipped[resource]
            records = tuple(self._records(spec, connection, read_at, since))
            info = connection.get("pageInfo")
            info = info if isinstance(info, dict) else {}
            end = info.get("endCursor")
            # A page that names no new place to go on from ends the resource rather than loop on it.
            more = info.get("hasNextPage") is True and isinstance(end, str) and bool(end) and end != after
            skipped = self.skipped[resource] - skipped_before
            yield HistoryPage(records, end if more else None, _total(connection), skipped)
            if not more:
                return
            after = end

    def _records(
        self, spec: HistoryQuery, connection: dict[str, Any], read_at: datetime, since: datetime | None
    ) -> Iterator[Normalized]:
        edges = connection.get("edges")
        for edge in edges if isinstance(edges, list) else []:
            node = edge.get("node") if isinstance(edge, dict) else None
            if not isinstance(node, dict):
                self._skip(spec, None, "the edge holds no node")
                continue
            if since is not None and _created_before(node, spec.created, since):
                continue
            try:
                record = normalize(spec.topic, {spec.subject: node}, read_at)
            except NormalizationError as exc:
                self._skip(spec, node.get("id"), str(exc))
                continue
            if record.contact is None and record.order is None and record.product is None:
                self._skip(spec, node.get("id"), "it names no one and nothing (no id, email or phone)")
                continue
            yield record

    def _skip(self, spec: HistoryQuery, node_id: object, why: str) -> None:
        self.skipped[spec.resource] += 1
        log.warning("saleor history: skipped one of %s (id %.80r): %s", spec.plural, node_id, why)

    def _connection(
        self, spec: HistoryQuery, query: str, after: str | None, since: datetime | None
    ) -> dict[str, Any]:
        """Ask for one page, within the cost budget and Saleor's pace; raise what the sync acts on."""
        attempt = 0
        while True:
            variables: dict[str, Any] = {"first": self._page_sizes[spec.resource], "after": after}
            if since is not None and spec.created_filter is not None:
                variables["since"] = since.astimezone(UTC).date().isoformat()
            try:
                data = self.api.execute(query, variables)
            except SaleorApiError as exc:
                if exc.code == QUERY_COST_ERROR:
                    self._halve_page(spec, exc)
                    continue
                attempt += 1
                self._wait_or_raise(spec, exc, attempt)
                continue
            connection = data.get(spec.connection)
            if not isinstance(connection, dict):
                raise SaleorApiError(f"{self.api.api_url} answered without {spec.connection}", 502)
            return connection

    def _halve_page(self, spec: HistoryQuery, exc: SaleorApiError) -> None:
        size = self._page_sizes[spec.resource]
        if size <= 1:
            raise HistoryAccessError(
                f"Saleor refuses even one of your {spec.plural} per query as too costly ({exc}). "
                "Ask whoever runs your Saleor to raise GRAPHQL_QUERY_MAX_COMPLEXITY, then sync again."
            ) from exc
        self._page_sizes[spec.resource] = size // 2
        log.info("saleor history: %s page too costly at %d, asking for %d", spec.plural, size, size // 2)

    def _wait_or_raise(self, spec: HistoryQuery, exc: SaleorApiError, attempt: int) -> None:
        """Sleep before the next try of a failure worth retrying; raise every other one."""
        if exc.code == PERMISSION_DENIED or exc.status == 403:
            permission = _named_permission(str(exc)) or spec.permission
            raise HistoryAccessError(
                f"Storeflow may not read your {spec.plural} on Saleor: the app lacks the "
                f"{permission} permission. In the Saleor dashboard, open Apps, Storeflow, and "
                f"grant {permission} (or reinstall the app), then sync again."
            ) from exc
        if exc.status == 401:
            raise HistoryAccessError(
                "Saleor no longer accepts Storeflow's app token (the app was removed or its token "
                "revoked). Reinstall Storeflow from the Saleor dashboard, then sync again."
            ) from exc
        if not exc.transient:
            raise exc
        planned = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1]
        wait = exc.retry_after if exc.retry_after is not None else planned
        if attempt <= len(BACKOFF_SECONDS) and wait <= LONGEST_WAIT_SECONDS:
            self.sleep(wait)
            return
        if exc.status == 429:
            raise HistoryNotReadyError(f"Saleor asks Storeflow to slow down: {exc}", wait) from exc
        raise exc


def _named_permission(message: str) -> str | None:
    """The permission Saleor's refusal names ("...one of the following permissions: MANAGE_USERS").

    A nested field can need another permission than its connection (an order's ``user``), so the
    one Saleor names is the one to grant.
    """
    match = _PERMISSIONS.search(message)
    return match.group(1).rstrip(", ").replace(",", " or") if match else None


def _created_before(node: dict[str, Any], field: str, since: datetime) -> bool:
    """Tell whether the node was created before ``since``; one whose creation is unreadable is kept."""
    try:
        created = opt_datetime(node, field)
    except NormalizationError:
        return False
    return created is not None and created < since


def _total(connection: dict[str, Any]) -> int | None:
    total = connection.get("totalCount")
    return total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else None
