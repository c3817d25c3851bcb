"""Write a batch of queued storefront posts: events, visitors, and who the visitors are.

A batch of posts becomes one multi-row INSERT of events, one INSERT of the visitors not seen
before, and the visitors' last-seen times and links. The worker's relay loop takes the batches
from Redis and commits each (app/jobs/storefront_drain.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from app.db.models import Contact, Shop, StorefrontEvent, Visitor
from app.db.models.rows import insert_missing
from app.db.models.storefront import LINKED_BY_CHECKOUT, LINKED_BY_CLICK, LINKED_BY_LOGIN
from app.storefront.activity import Activity, activities_of
from app.storefront.buffer import QueuedPost, decode
from app.storefront.identity import Clicker, read_clicker
from app.storefront.schema import CHECKOUT_STARTED, FIELDS
from app.storefront.visitors import contact_of_checkout, contact_of_customer, link

log = logging.getLogger(__name__)


def readable(raw: list[bytes]) -> list[QueuedPost]:
    """Decode queued posts; a corrupt one is logged and dropped, so it cannot block the queue."""
    posts = []
    for item in raw:
        try:
            posts.append(decode(item))
        except (ValueError, KeyError, TypeError):
            log.error("dropped a corrupt queued storefront post: %r", item[:200])
    return posts


def store_posts(session: Session, posts: list[QueuedPost], secret_key: str) -> list[Activity]:
    """Write the posts' events and visitors, link visitors to contacts where a post proves who, and
    return what known shoppers did."""
    posts = [post for post in posts if _shop_exists(session, post.shop_id)]
    if not posts:
        return []
    session.execute(
        insert(StorefrontEvent),
        [
            {
                **_event_columns(event),
                "shop_id": post.shop_id,
                "visitor_key": post.batch.visitor,
                "occurred_at": post.received_at,
            }
            for post in posts
            for event in post.batch.events
        ],
    )
    visitors = _visitors(session, posts)
    for post in posts:
        visitor = visitors[(post.shop_id, post.batch.visitor)]
        visitor.last_seen_at = max(visitor.last_seen_at, post.received_at)
        visitor.timezone = post.batch.timezone or visitor.timezone
        _link_from_post(session, visitor, post, secret_key)
    return activities_of(posts, visitors)


def _event_columns(event: dict[str, object]) -> dict[str, object]:
    return {name: event.get(name) for name in FIELDS}


def _visitors(session: Session, posts: list[QueuedPost]) -> dict[tuple[int, str], Visitor]:
    """Return the posts' visitors, creating those not seen before."""
    first_seen: dict[tuple[int, str], datetime] = {}
    for post in posts:
        key = (post.shop_id, post.batch.visitor)
        first_seen[key] = min(first_seen.get(key, post.received_at), post.received_at)
    insert_missing(
        session,
        Visitor,
        [
            {
                "shop_id": shop_id,
                "visitor_key": key,
                "contact_id": None,
                "linked_by": None,
                "linked_at": None,
                "first_seen_at": at,
                "last_seen_at": at,
            }
            for (shop_id, key), at in first_seen.items()
        ],
        ("shop_id", "visitor_key"),
    )
    rows = session.scalars(
        select(Visitor).where(tuple_(Visitor.shop_id, Visitor.visitor_key).in_(list(first_seen)))
    )
    return {(row.shop_id, row.visitor_key): row for row in rows}


def _link_from_post(session: Session, visitor: Visitor, post: QueuedPost, secret_key: str) -> None:
    at = post.received_at
    if post.batch.link:
        clicker = read_clicker(secret_key, post.batch.link)
        if clicker is not None and clicker.shop_id == post.shop_id and _contact_exists(session, clicker):
            link(visitor, clicker.contact_id, LINKED_BY_CLICK, at)
    for event in post.batch.events:
        token = event.get("checkout_token")
        if event.get("kind") == CHECKOUT_STARTED and isinstance(token, str):
            contact_id = contact_of_checkout(session, post.shop_id, token)
            if contact_id is not None:
                link(visitor, contact_id, LINKED_BY_CHECKOUT, at)
    if post.batch.logged_in_customer_id:  # set only from a platform's signature (receiver.py)
        contact_id = contact_of_customer(session, post.shop_id, post.batch.logged_in_customer_id)
        if contact_id is not None:
            link(visitor, contact_id, LINKED_BY_LOGIN, at)


def _contact_exists(session: Session, clicker: Clicker) -> bool:
    contact = session.get(Contact, clicker.contact_id)
    return contact is not None and contact.shop_id == clicker.shop_id


def _shop_exists(session: Session, shop_id: int) -> bool:
    """Skip posts of a shop erased since they were queued (their rows would fail the batch)."""
    return session.get(Shop, shop_id) is not None
