"""Saleor's side of reconciliation (app/reconcile/): recent checkouts and orders from the instance's
GraphQL API, asked for with the very fragments our webhook subscriptions use, so each node is a
webhook payload as is.

Saleor names checkouts by token in its API as in its webhooks, so a reconciled checkout is the
same row and subject as its real webhooks; it retries a failed delivery for about 5 minutes, so
``SETTLE`` leaves in-flight deliveries alone. Checkouts filter by date only (``DateRangeInput``):
the day is asked for and the exact window kept here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from app.core.config import Config
from app.db.models import Shop
from app.platforms.saleor.errors import SaleorApiError
from app.platforms.saleor.graphql import SaleorApi
from app.platforms.saleor.manifest import subscription_fragments
from app.reconcile.errors import ReconcileRefusedError
from app.reconcile.missed import converted
from app.shops.platform import RemoteCheckout, RemoteOrder
from webhooks.payload import parse_datetime

SETTLE = timedelta(minutes=15)
PAGE_SIZE = 50
MAX_PAGES = 10
CHECKOUT_TOPICS = ("checkout_created", "checkout_updated")
ORDER_TOPICS = {
    "placed": "order_created",
    "paid": "order_fully_paid",
    "fulfilled": "order_fulfilled",
    "cancelled": "order_cancelled",
}


def checkouts_query(config: Config) -> str:
    return (
        "query StoreflowCheckouts($after: String, $since: Date!, $until: Date!) { checkouts(first: "
        f"{PAGE_SIZE}, after: $after, filter: {{updatedAt: {{gte: $since, lte: $until}}}}) "
        "{ pageInfo { hasNextPage endCursor } edges { node { ...StoreflowCheckout } } } }"
        + subscription_fragments(config, "Storeflow checkouts")
    )


def orders_query(config: Config) -> str:
    return (
        "query StoreflowOrders($after: String, $since: DateTime!, $until: DateTime!) { orders(first: "
        f"{PAGE_SIZE}, after: $after, filter: {{updatedAt: {{gte: $since, lte: $until}}}}) "
        "{ pageInfo { hasNextPage endCursor } edges { node { ...StoreflowOrder } } } }"
        + subscription_fragments(config, "Storeflow orders")
    )


class SaleorRecentActivity:
    """Page through one instance's recent checkouts and orders (at most ``MAX_PAGES`` pages a run)."""

    platform = "saleor"
    checkout_topics = CHECKOUT_TOPICS
    order_topics = ORDER_TOPICS
    checkout_settle = SETTLE
    order_settle = SETTLE

    def __init__(self, api: SaleorApi, config: Config, now: datetime) -> None:
        self.api = api
        self.config = config
        self.now = now

    def learn_identity(self, shop: Shop) -> None:
        """Nothing to learn: registration stored the app id that ``APP_DELETED`` names."""

    def checkouts(self, since: datetime, until: datetime) -> Iterator[RemoteCheckout]:
        window = {"since": since.date().isoformat(), "until": until.date().isoformat()}
        nodes = self._nodes(checkouts_query(self.config), "checkouts", window)
        for remote in converted(self._checkout, nodes):
            if since <= remote.updated_at <= until:
                yield remote

    def orders(self, since: datetime, until: datetime) -> Iterator[RemoteOrder]:
        window = {"since": since.isoformat(), "until": until.isoformat()}
        yield from converted(self._order, self._nodes(orders_query(self.config), "orders", window))

    def _checkout(self, node: dict[str, Any]) -> RemoteCheckout:
        return RemoteCheckout(
            platform_id=str(node["id"]),
            token=str(node["token"]) if node.get("token") else None,
            recovery_url=None,
            updated_at=parse_datetime(str(node["updatedAt"]), "updatedAt"),
            payload={"issuedAt": self.now.isoformat(), "checkout": node},
        )

    def _order(self, node: dict[str, Any]) -> RemoteOrder:
        status = str(node.get("status") or "").upper()
        return RemoteOrder(
            platform_id=str(node["id"]),
            updated_at=parse_datetime(str(node["updatedAt"]), "updatedAt"),
            paid=node.get("isPaid") is True,
            fulfilled=status == "FULFILLED",
            cancelled=status == "CANCELED",
            payload={"issuedAt": self.now.isoformat(), "order": node},
        )

    def _nodes(self, query: str, field: str, window: dict[str, str]) -> Iterator[dict[str, Any]]:
        after: str | None = None
        for _ in range(MAX_PAGES):
            page = self._execute(query, {**window, "after": after}).get(field) or {}
            for edge in page.get("edges") or []:
                node = edge.get("node") if isinstance(edge, dict) else None
                if isinstance(node, dict):
                    yield node
            info = page.get("pageInfo") or {}
            after = info.get("endCursor")
            if not info.get("hasNextPage") or not after:
                return

    def _execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Ask the instance; a refusal for good (not a transient failure) stops the run."""
        try:
            return self.api.execute(query, variables)
        except SaleorApiError as exc:
            if exc.transient:
                raise
            raise ReconcileRefusedError(str(exc)) from exc
