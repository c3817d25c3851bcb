"""The webhooks set aside for the operator, and replaying them once the fault is fixed.

An event is set aside when its payload was rejected or its processing raised on every attempt
(app/jobs/failures.py); it keeps its reason in ``error``. Replaying makes it pending again, as if
it had just been received: the relay hands it to a worker, which processes it once (the row lock
and ``processed_at`` in app/jobs/processing.py), and the engine's own uniqueness makes anything
already done for its subject count once. Only set-aside events are replayed, so replaying twice,
or an event that was already processed, changes nothing. The caller commits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db.models import Shop, WebhookEvent
from app.db.models.inbox import PENDING, SET_ASIDE

LIST_LIMIT = 500


@dataclass(frozen=True)
class SetAside:
    """One event set aside, as the CLI and the admin show it."""

    id: int
    platform: str
    shop_domain: str
    topic: str
    status: str
    attempts: int
    received_at: datetime
    reason: str | None

    @property
    def summary(self) -> str:
        """Say what became of it in words: "rejected", "quarantined after 5 attempts"."""
        return self.status if self.attempts <= 1 else f"{self.status} after {self.attempts} attempts"


def set_aside(session: Session, shop_id: int | None = None, limit: int = LIST_LIMIT) -> list[SetAside]:
    """Return the events set aside, newest first: every shop's, or one shop's."""
    query = (
        select(WebhookEvent, Shop.domain)
        .join(Shop, Shop.id == WebhookEvent.shop_id)
        .where(WebhookEvent.status.in_(SET_ASIDE))
        .order_by(WebhookEvent.id.desc())
        .limit(limit)
    )
    if shop_id is not None:
        query = query.where(WebhookEvent.shop_id == shop_id)
    return [
        SetAside(
            id=event.id,
            platform=event.platform,
            shop_domain=domain,
            topic=event.topic,
            status=event.status,
            attempts=event.attempts,
            received_at=event.received_at,
            reason=event.error,
        )
        for event, domain in session.execute(query)
    ]


def count_set_aside(session: Session, shop_id: int) -> int:
    """Return how many of the shop's events are set aside (the list shows at most ``LIST_LIMIT``)."""
    return (
        session.scalar(
            select(func.count(WebhookEvent.id)).where(
                WebhookEvent.status.in_(SET_ASIDE), WebhookEvent.shop_id == shop_id
            )
        )
        or 0
    )


def replay(
    session: Session, event_ids: Collection[int] | None = None, shop_id: int | None = None
) -> list[int]:
    """Make set-aside events pending again (all, or those named; of every shop, or of one shop).

    Return the ids replayed; an id that is not set aside (or not the shop's) is left as it is.
    """
    statement = update(WebhookEvent).where(WebhookEvent.status.in_(SET_ASIDE))
    if event_ids is not None:
        statement = statement.where(WebhookEvent.id.in_(list(event_ids)))
    if shop_id is not None:
        statement = statement.where(WebhookEvent.shop_id == shop_id)
    replayed = session.scalars(
        statement.values(status=PENDING, processed_at=None, dispatched_at=None, retry_at=None, attempts=0)
        .returning(WebhookEvent.id)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(replayed)


def status_of(session: Session, event_id: int) -> str | None:
    """Return an event's status, or None when there is no such event."""
    return session.scalars(select(WebhookEvent.status).where(WebhookEvent.id == event_id)).first()
