"""Read a storefront events post: every field checked for type, size and shape before anything is kept.

The body is JSON (sent as ``text/plain`` by our snippet, so browsers skip the preflight)::

    {"visitor": "<16-64 url-safe characters>",
     "events": [{"type": "product_viewed", "product_id": "123", "variant_id": "9"}],
     "link": "<the sf_c parameter our click links add>",
     "page": "<the page's URL>", "timezone": "<the browser's IANA zone, e.g. Europe/Paris>"}

Up to 10 events a post. Unknown top-level keys and unknown event fields are ignored (newer
snippets may send more); a field of the wrong type, too long, or out of range refuses the post.

Events carry ids only. Anyone can post here, so what a post says of a product (title, price,
image, link) is never kept: messages show the store's catalogue. Nor does a post say who the
shopper is: a ``customer_id`` it names is ignored like any unknown key. A visitor becomes a known
customer only through a proof (``visitors.py``); a logged-in customer only from a platform's
signature, which the receiver sets as ``logged_in_customer_id``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.shops.zones import zone
from app.storefront.errors import InvalidEventsError
from app.storefront.origins import origin_of
from webhooks.payload import decode_json

MAX_EVENTS = 10
VISITOR = re.compile(r"[A-Za-z0-9_-]{16,64}")
IDENTIFIER = re.compile(r"[^\x00-\x20\x7f]{1,64}")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TOKEN = re.compile(r"[A-Za-z0-9_.:=/+-]{1,255}")
MAX_TEXT = 255
MAX_URL = 2048
MAX_LINK_TOKEN = 512
MAX_QUANTITY = 1000

PRODUCT_VIEWED = "product_viewed"
COLLECTION_VIEWED = "collection_viewed"
SEARCH_SUBMITTED = "search_submitted"
PRODUCT_ADDED_TO_CART = "product_added_to_cart"
WISHLIST_ADDED = "wishlist_added"
CHECKOUT_STARTED = "checkout_started"

# Per event type: the fields it must carry.
REQUIRED = {
    PRODUCT_VIEWED: ("product_id",),
    COLLECTION_VIEWED: ("collection_id",),
    SEARCH_SUBMITTED: ("search_query",),
    PRODUCT_ADDED_TO_CART: ("product_id",),
    WISHLIST_ADDED: ("product_id",),
    CHECKOUT_STARTED: ("checkout_token",),
}
# What an event is stored as (the columns of ``storefront_event`` it fills).
FIELDS = (
    "kind",
    "product_id",
    "variant_id",
    "collection_id",
    "search_query",
    "quantity",
    "checkout_token",
    "cart_token",
)


@dataclass(frozen=True)
class EventBatch:
    """One post: the visitor, their events (as stored), and what may link them to a contact.

    ``logged_in_customer_id`` is never read from the body: only a platform's signature sets it.
    """

    visitor: str
    events: tuple[dict[str, Any], ...]
    link: str | None = None
    logged_in_customer_id: str | None = None
    page: str | None = None
    timezone: str | None = None


def parse_batch(raw: bytes) -> EventBatch:
    """Parse and check a post, or raise InvalidEventsError naming the first thing wrong."""
    try:
        body = decode_json(raw)  # strings made storable: lone surrogates become U+FFFD
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidEventsError("body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidEventsError("body is not a JSON object")
    visitor = body.get("visitor")
    if not isinstance(visitor, str) or not VISITOR.fullmatch(visitor):
        raise InvalidEventsError("visitor must be 16-64 letters, digits, '-' or '_'")
    events = body.get("events")
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        raise InvalidEventsError(f"events must be a list of 1 to {MAX_EVENTS} events")
    return EventBatch(
        visitor=visitor,
        events=tuple(_event(event, n) for n, event in enumerate(events)),
        link=_text(body, "link", MAX_LINK_TOKEN, "body"),
        page=_url(body, "page", "body"),
        timezone=_zone(body),
    )


def _zone(body: dict[str, Any]) -> str | None:
    """Accept the browser's zone name; one this server does not know is left out, not refused."""
    text = _text(body, "timezone", 64, "body")
    return text if text is not None and zone(text) is not None else None


def _event(event: Any, n: int) -> dict[str, Any]:
    where = f"events[{n}]"
    if not isinstance(event, dict):
        raise InvalidEventsError(f"{where} is not an object")
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in REQUIRED:
        raise InvalidEventsError(f"{where}.type must be one of {', '.join(REQUIRED)}")
    fields: dict[str, Any] = {
        "kind": kind,
        "product_id": _identifier(event, "product_id", where),
        "variant_id": _identifier(event, "variant_id", where),
        "collection_id": _identifier(event, "collection_id", where),
        "search_query": _text(event, "search_query", MAX_TEXT, where),
        "quantity": _quantity(event, where),
        "checkout_token": _token(event, "checkout_token", where),
        "cart_token": _token(event, "cart_token", where),
    }
    for name in REQUIRED[kind]:
        if fields[name] is None:
            raise InvalidEventsError(f"{where}.{name} is required for {kind}")
    return {name: value for name, value in fields.items() if value is not None}


def _text(data: dict[str, Any], key: str, limit: int, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidEventsError(f"{where}.{key} must be a string")
    value = value.strip()
    if len(value) > limit:
        raise InvalidEventsError(f"{where}.{key} is longer than {limit} characters")
    if CONTROL.search(value):
        # Nothing a page shows has them (NULs, which PostgreSQL cannot store, are gone already).
        raise InvalidEventsError(f"{where}.{key} must not contain control characters")
    return value or None


def _identifier(data: dict[str, Any], key: str, where: str) -> str | None:
    """Accept an id as a string or a whole number (Shopify sends numbers, Saleor base64 strings)."""
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    text = _text({key: value}, key, 64, where)
    if text is not None and not IDENTIFIER.fullmatch(text):
        raise InvalidEventsError(f"{where}.{key} must not contain spaces or control characters")
    return text


def _token(data: dict[str, Any], key: str, where: str) -> str | None:
    text = _text(data, key, 255, where)
    if text is not None and not TOKEN.fullmatch(text):
        raise InvalidEventsError(f"{where}.{key} has characters a checkout token does not")
    return text


def _url(data: dict[str, Any], key: str, where: str) -> str | None:
    text = _text(data, key, MAX_URL, where)
    if text is not None and origin_of(text) is None:
        raise InvalidEventsError(f"{where}.{key} must be an http(s) URL")
    return text


def _quantity(data: dict[str, Any], where: str) -> int | None:
    value = data.get("quantity")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise InvalidEventsError(f"{where}.quantity must be a whole number from 1 to {MAX_QUANTITY}")
    return value
