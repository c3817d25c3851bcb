"""Read a storefront's push subscription post: every field checked before anything is stored.

The body is JSON (sent as ``text/plain`` by our snippet, so browsers skip the preflight)::

    {"visitor": "<the sf_vid cookie>",
     "subscription": {"endpoint": "https://fcm.googleapis.com/fcm/send/...",
                      "keys": {"p256dh": "<P-256 point, base64url>", "auth": "<16 bytes, base64url>"}},
     "timezone": "Europe/Paris"}

The endpoint is a URL our workers will post to, so it must be https on a known push service's host
(``PUSH_SERVICE_HOSTS``): anything else would let a page make us call arbitrary addresses. The keys
must be what a browser makes, or encrypting for them would fail at every send. An unknown time
zone is left out rather than refused: an odd browser should not cost the shopper their notifications.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from app.core.errors import StoreflowError
from app.shops.zones import zone
from app.storefront.schema import VISITOR
from webhooks.payload import decode_json

MAX_ENDPOINT = 1024
MAX_ZONE = 64


class InvalidSubscriptionError(StoreflowError, ValueError):
    """The post is not a push subscription we accept; the message names the field and why."""


@dataclass(frozen=True)
class SubscriptionPost:
    visitor: str
    endpoint: str
    p256dh: str
    auth: str
    timezone: str | None


def parse_subscription(raw: bytes, service_hosts: Iterable[str]) -> SubscriptionPost:
    """Parse and check a subscription post, or raise InvalidSubscriptionError."""
    body = _object(raw)
    visitor = _visitor(body)
    subscription = body.get("subscription")
    if not isinstance(subscription, dict):
        raise InvalidSubscriptionError("subscription must be the browser's PushSubscription as JSON")
    keys = subscription.get("keys")
    if not isinstance(keys, dict):
        raise InvalidSubscriptionError("subscription.keys must hold p256dh and auth")
    return SubscriptionPost(
        visitor=visitor,
        endpoint=endpoint_of(subscription.get("endpoint"), service_hosts),
        p256dh=_point(keys.get("p256dh")),
        auth=_auth(keys.get("auth")),
        timezone=_zone(body.get("timezone")),
    )


def parse_unsubscription(raw: bytes, service_hosts: Iterable[str]) -> tuple[str, str]:
    """Parse a post that withdraws a subscription: (visitor, endpoint)."""
    body = _object(raw)
    return _visitor(body), endpoint_of(body.get("endpoint"), service_hosts)


def endpoint_of(value: Any, service_hosts: Iterable[str]) -> str:
    """Accept an https URL on one of the push services' hosts (or a subdomain of one)."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ENDPOINT:
        raise InvalidSubscriptionError(
            f"subscription.endpoint must be a URL of at most {MAX_ENDPOINT} characters"
        )
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        raise InvalidSubscriptionError("subscription.endpoint is not a URL") from None
    if parts.scheme != "https" or not host or parts.username or parts.password or port not in (None, 443):
        raise InvalidSubscriptionError("subscription.endpoint must be an https URL on the default port")
    if not any(host == known or host.endswith(f".{known}") for known in service_hosts):
        raise InvalidSubscriptionError(f"subscription.endpoint: {host} is not a known push service")
    return value


def _object(raw: bytes) -> dict[str, Any]:
    try:
        body = decode_json(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidSubscriptionError("body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidSubscriptionError("body is not a JSON object")
    return body


def _visitor(body: dict[str, Any]) -> str:
    visitor = body.get("visitor")
    if not isinstance(visitor, str) or not VISITOR.fullmatch(visitor):
        raise InvalidSubscriptionError("visitor must be 16-64 letters, digits, '-' or '_'")
    return visitor


def _decoded(value: Any, name: str, limit: int) -> bytes:
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise InvalidSubscriptionError(f"subscription.keys.{name} must be a base64url string")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidSubscriptionError(f"subscription.keys.{name} is not base64url") from None


def _point(value: Any) -> str:
    """Accept the browser's public key: an uncompressed point on P-256."""
    decoded = _decoded(value, "p256dh", 128)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), decoded)
    except ValueError:
        raise InvalidSubscriptionError("subscription.keys.p256dh is not a P-256 public key") from None
    if len(decoded) != 65:
        raise InvalidSubscriptionError("subscription.keys.p256dh must be an uncompressed point (65 bytes)")
    return str(value).rstrip("=")


def _auth(value: Any) -> str:
    if len(_decoded(value, "auth", 64)) != 16:
        raise InvalidSubscriptionError("subscription.keys.auth must be 16 bytes")
    return str(value).rstrip("=")


def _zone(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_ZONE:
        raise InvalidSubscriptionError(f"timezone must be an IANA zone name of at most {MAX_ZONE} characters")
    return value if zone(value) is not None else None
