"""What a platform's history reader hands the history sync: the store's past, as pages of facts.

Installed today, Storeflow knows only what happens after install. The history sync (app/sync/)
reads a shop's customers, products and orders from its platform and merges them into our copy of
the store with the same stale-update rules webhooks follow, so win-back, VIP and replenishment
work on day one. Each platform answers this protocol from its own package under app/platforms/:
Shopify from a GraphQL bulk operation's JSONL file, Saleor from paginated GraphQL queries.

The records are the ``Normalized`` facts the webhook adapters produce, so the sync and a webhook
that arrives during it are merged by one set of rules. A page's ``cursor`` is where to resume once
that page is stored: the sync saves it in the same transaction as the page's rows, which is what
makes it resumable after a crash or a redeploy without storing a page twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from app.core.errors import StoreflowError
from app.core.facts import Normalized


class HistoryResource(StrEnum):
    """What the sync reads, in the order it reads them: orders link to the customers before them."""

    CUSTOMERS = "customers"
    PRODUCTS = "products"
    ORDERS = "orders"


@dataclass(frozen=True)
class HistoryPage:
    """Some records of one resource, and where to resume once they are stored."""

    records: tuple[Normalized, ...]
    cursor: str | None  # None: the resource is finished
    total: int | None = None  # how many records the platform says the resource holds, if it says
    skipped: int = 0  # records the reader could not make sense of and left out (counted as errors)
    notice: str | None = None  # what the merchant should know, e.g. that older orders need a scope


class HistoryNotReadyError(StoreflowError):
    """The platform is still preparing the records (a bulk operation runs): ask again later."""

    reason = "history_not_ready"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class HistoryAccessError(StoreflowError):
    """The platform refuses to let us read this resource for good (a scope is missing, the app is gone)."""

    reason = "history_no_access"


class HistorySource(Protocol):
    """One shop's past on its platform."""

    resources: tuple[HistoryResource, ...]

    def pages(
        self, resource: HistoryResource, cursor: str | None, since: datetime | None
    ) -> Iterator[HistoryPage]:
        """Yield the resource's records from ``cursor`` on (None: from the start).

        ``since`` limits the records to those created at or after it (None: the whole history).
        Raises HistoryNotReadyError when the platform is still preparing them (ask again with the
        same cursor) and HistoryAccessError when it will never let us read them; anything else is
        worth retrying.
        """
        ...
