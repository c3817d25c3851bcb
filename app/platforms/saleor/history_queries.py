"""The GraphQL queries the Saleor history reader pages through: one connection per resource.

Each spreads the very fragment our webhook subscription for that object uses
(app/platforms/saleor/manifest.py), so a node is the webhook payload's object as is, and
webhooks/saleor/normalize.py maps it by the one rule per field webhooks follow. On top of the
fragment a query asks only for the creation time ``since`` is checked against.

Every connection is sorted oldest first by what never changes: customers by when they joined
(ties by primary key), products by creation (ties by slug), orders by number (their creation sort
breaks ties by status, which changes). So a saved ``endCursor`` resumes at the same place, and
records created during the sync come last instead of shifting the pages already read.
``customers`` and ``orders`` filter by creation day (a ``DateRangeInput``); ``products`` has no
creation filter, so older ones are skipped here.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.config import Config
from app.platforms.saleor.manifest import subscription_fragments
from app.shops.history import HistoryResource


@dataclass(frozen=True)
class HistoryQuery:
    resource: HistoryResource
    connection: str  # the Query field paged through
    subject: str  # the webhook payload's key for the object (webhooks/saleor/events.py)
    topic: str  # the webhook whose payload a node makes, for normalize()
    webhook: str  # our manifest webhook whose fragments the query spreads
    fragment: str
    created: str  # the node's creation time
    created_filter: str | None  # the connection's creation-day filter, where Saleor has one
    sort_field: str  # the connection's sort enum value, oldest first and stable (see above)
    permission: str  # what the app needs to read the connection (PERMISSIONS in the manifest)
    plural: str  # what the merchant calls them

    def text(self, config: Config, since_filtered: bool) -> str:
        """The query; with ``since_filtered`` it takes ``$since: Date`` and asks Saleor to filter by it."""
        filtered = since_filtered and self.created_filter is not None
        since = ", $since: Date" if filtered else ""
        where = f", filter: {{{self.created_filter}: {{gte: $since}}}}" if filtered else ""
        name = self.connection.capitalize()
        return (
            f"query StoreflowHistory{name}($first: Int!, $after: String{since}) {{ {self.connection}("
            f"first: $first, after: $after, sortBy: {{field: {self.sort_field}, direction: ASC}}{where}) "
            "{ totalCount pageInfo { hasNextPage endCursor } "
            f"edges {{ node {{ {self.created} ...{self.fragment} }} }} }} }}"
            + subscription_fragments(config, self.webhook)
        )


HISTORY_QUERIES: dict[HistoryResource, HistoryQuery] = {
    query.resource: query
    for query in (
        HistoryQuery(
            HistoryResource.CUSTOMERS,
            connection="customers",
            subject="user",
            topic="customer_created",
            webhook="Storeflow customers",
            fragment="StoreflowCustomer",
            created="dateJoined",
            created_filter="dateJoined",
            sort_field="CREATED_AT",
            permission="MANAGE_USERS",
            plural="customers",
        ),
        HistoryQuery(
            HistoryResource.PRODUCTS,
            connection="products",
            subject="product",
            topic="product_updated",
            webhook="Storeflow products",
            fragment="StoreflowProduct",
            created="created",
            created_filter=None,
            sort_field="CREATED_AT",
            permission="MANAGE_PRODUCTS",
            plural="products",
        ),
        HistoryQuery(
            HistoryResource.ORDERS,
            connection="orders",
            subject="order",
            topic="order_created",
            webhook="Storeflow orders",
            fragment="StoreflowOrder",
            created="created",
            created_filter="created",
            sort_field="NUMBER",
            permission="MANAGE_ORDERS",
            plural="orders",
        ),
    )
}
