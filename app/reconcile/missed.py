"""Decide which remote checkouts and orders we are missing, and store them as synthetic webhooks."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.core.facts import NormalizationError
from app.db.models import Checkout, Order, WebhookEvent
from app.db.models.inbox import PENDING
from app.db.models.rows import insert_missing
from app.shops.platform import RemoteCheckout, RemoteOrder

log = logging.getLogger(__name__)

EVENT_PREFIX = "reconcile"
T = TypeVar("T")


@dataclass(frozen=True)
class Synthetic:
    """One webhook we should have received, as the relay will process it."""

    topic: str
    event_id: str
    occurred_at: datetime
    payload: dict[str, Any]


def missing_checkout(
    session: Session, shop_id: int, remote: RemoteCheckout, topics: tuple[str, str]
) -> Synthetic | None:
    """Return the webhook for a checkout we never heard of or hold an older state of; None if current.

    ``topics`` names the platform's (created, updated) topics. A checkout we hold keeps our token,
    so the synthetic update lands on the same row and subject as its real webhooks did.
    """
    conditions = [Checkout.platform_id == remote.platform_id]
    if remote.token:
        conditions.append(Checkout.token == remote.token)
    if remote.recovery_url:
        conditions.append(Checkout.recovery_url == remote.recovery_url)
    row = session.execute(
        select(Checkout.token, Checkout.source_updated_at).where(
            Checkout.shop_id == shop_id, or_(*conditions)
        )
    ).first()
    if row is not None and row.source_updated_at is not None and row.source_updated_at >= remote.updated_at:
        return None
    created, updated = topics
    topic = updated if row is not None else created
    payload = remote.payload if row is None else {**remote.payload, **_token_field(remote.payload, row.token)}
    stamp = remote.updated_at.isoformat()
    return Synthetic(topic, _event_id(topic, remote.platform_id, stamp), remote.updated_at, payload)


def missing_orders(
    session: Session, shop_id: int, remote: RemoteOrder, topics: dict[str, str]
) -> list[Synthetic]:
    """Return the webhooks for an order's milestones we never learned: placed, paid, fulfilled, cancelled.

    ``topics`` maps "placed", "paid", "fulfilled" and "cancelled" to the platform's topics. Each
    milestone is a one-time fact, so its event id carries no time: finding it again stores nothing.
    """
    row = session.scalars(
        select(Order).where(Order.shop_id == shop_id, Order.platform_id == remote.platform_id)
    ).first()
    wanted = []
    if row is None:
        wanted.append("placed")
    if remote.paid and (row is None or row.paid_at is None):
        wanted.append("paid")
    if remote.fulfilled and (row is None or row.fulfilled_at is None):
        wanted.append("fulfilled")
    if remote.cancelled and (row is None or row.cancelled_at is None):
        wanted.append("cancelled")
    return [
        Synthetic(topics[m], _event_id(topics[m], remote.platform_id, m), remote.updated_at, remote.payload)
        for m in wanted
    ]


def store(session: Session, shop_id: int, platform: str, found: list[Synthetic], now: datetime) -> int:
    """Put the synthetic webhooks in the inbox (once each, whoever finds them); return how many are new."""
    rows = [
        {
            "shop_id": shop_id,
            "platform": platform,
            "topic": item.topic,
            "event_id": item.event_id,
            "webhook_id": None,
            "api_version": None,
            "triggered_at": item.occurred_at,
            "received_at": now,
            "body": json.dumps(item.payload),
            "status": PENDING,
            "dispatched_at": None,
            "processed_at": None,
            "attempts": 0,
            "error": None,
            "contact_id": None,
            "subject_key": None,
        }
        for item in found
    ]
    return len(insert_missing(session, WebhookEvent, rows, ("platform", "shop_id", "event_id")))


def converted(convert: Callable[[dict[str, Any]], T], nodes: Iterable[dict[str, Any]]) -> Iterator[T]:
    """Convert API nodes one by one, skipping (and logging) any the API answered malformed."""
    for node in nodes:
        try:
            yield convert(node)
        except (KeyError, TypeError, ValueError, NormalizationError) as exc:
            log.warning("reconciliation skipped a malformed node (%s): %s", type(exc).__name__, exc)


def _event_id(topic: str, platform_id: str, detail: str) -> str:
    return f"{EVENT_PREFIX}:{topic}:{platform_id}:{detail}"[:255]


def _token_field(payload: dict[str, Any], token: str) -> dict[str, Any]:
    """Name the checkout by the token we hold, in whichever field the platform's payload uses."""
    if "checkout" in payload and isinstance(payload["checkout"], dict):
        return {"checkout": {**payload["checkout"], "token": token}}
    return {"token": token}
