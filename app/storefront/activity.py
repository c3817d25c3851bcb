"""What known shoppers did on the storefront, handed to the flow engine as trigger events.

The drain stores posts in bulk; for each visitor linked to a contact it reports one activity per
kind of event (the latest), and a job turns them into ``product.viewed``, ``search.performed``,
``site.visited``, ``cart.product_added`` and ``wishlist.added`` for the engine. A product added
to a platform cart the storefront names also links that cart to the shopper, so the abandoned-cart
flow can reach them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.core.events import EventKind, TriggerEvent, subject_key
from app.db import affected_rows
from app.db.models import Cart, Visitor
from app.storefront.buffer import QueuedPost
from app.storefront.schema import (
    COLLECTION_VIEWED,
    PRODUCT_ADDED_TO_CART,
    PRODUCT_VIEWED,
    SEARCH_SUBMITTED,
    WISHLIST_ADDED,
)
from flows.engine import FlowEngine

TRIGGERS = {
    PRODUCT_VIEWED: EventKind.PRODUCT_VIEWED,
    SEARCH_SUBMITTED: EventKind.SEARCH_PERFORMED,
    COLLECTION_VIEWED: EventKind.SITE_VISITED,
    PRODUCT_ADDED_TO_CART: EventKind.CART_PRODUCT_ADDED,
    WISHLIST_ADDED: EventKind.WISHLIST_ADDED,
}


@dataclass(frozen=True)
class Activity:
    shop_id: int
    contact_id: int
    kind: str
    at: datetime
    cart_token: str | None = None

    def as_job(self) -> dict[str, Any]:
        """Return the activity as an RQ job argument (plain JSON types)."""
        return {
            "shop_id": self.shop_id,
            "contact_id": self.contact_id,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "cart_token": self.cart_token,
        }

    @classmethod
    def from_job(cls, data: dict[str, Any]) -> Activity:
        return cls(
            int(data["shop_id"]),
            int(data["contact_id"]),
            str(data["kind"]),
            datetime.fromisoformat(data["at"]),
            data.get("cart_token"),
        )


def activities_of(posts: list[QueuedPost], visitors: dict[tuple[int, str], Visitor]) -> list[Activity]:
    """Return, per known shopper, their latest event of each kind in these posts."""
    latest: dict[tuple[int, int, str, str | None], datetime] = {}
    for post in posts:
        contact_id = visitors[(post.shop_id, post.batch.visitor)].contact_id
        if contact_id is None:
            continue
        for event in post.batch.events:
            kind = str(event.get("kind"))
            if kind not in TRIGGERS:
                continue
            key = (post.shop_id, contact_id, kind, event.get("cart_token"))
            latest[key] = max(latest.get(key, post.received_at), post.received_at)
    return [Activity(shop, contact, kind, at, cart) for (shop, contact, kind, cart), at in latest.items()]


def feed_activity(session: Session, engine: FlowEngine, activity: Activity) -> None:
    """Hand one activity to the flows, linking the cart it names to the shopper first."""
    key = subject_key("contact", str(activity.contact_id))
    engine.handle(
        TriggerEvent(TRIGGERS[activity.kind], activity.shop_id, activity.contact_id, key, activity.at)
    )
    if activity.kind == PRODUCT_ADDED_TO_CART and activity.cart_token:
        linked = affected_rows(
            session.execute(
                update(Cart)
                .where(
                    Cart.shop_id == activity.shop_id,
                    Cart.token == activity.cart_token,
                    Cart.contact_id.is_(None),
                )
                .values(contact_id=activity.contact_id)
            )
        )
        if linked:
            cart = subject_key("cart", activity.cart_token)
            engine.handle(
                TriggerEvent(EventKind.CART_UPDATED, activity.shop_id, activity.contact_id, cart, activity.at)
            )
