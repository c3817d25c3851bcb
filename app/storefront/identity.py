"""The ``sf_c`` parameter our click links add to storefront URLs: who clicked, signed.

A click lands on our domain, where the storefront's first-party visitor cookie cannot be read. So
the redirect adds a signed (shop, contact, message) to the storefront URL; the snippet reads it on
arrival and sends it with the visitor's next events, which links the visitor to the contact. It is
valid for a day: long enough for a slow page, short enough that a forwarded link soon stops linking
its next reader to the original recipient.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer

PARAMETER = "sf_c"
MAX_AGE_SECONDS = 24 * 3600
_SALT = "storeflow-visitor-link"


@dataclass(frozen=True)
class Clicker:
    shop_id: int
    contact_id: int
    message_id: int


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def clicker_token(secret_key: str, clicker: Clicker) -> str:
    """Sign who clicked."""
    return _serializer(secret_key).dumps([clicker.shop_id, clicker.contact_id, clicker.message_id])


def read_clicker(secret_key: str, token: str, max_age: int = MAX_AGE_SECONDS) -> Clicker | None:
    """Return who clicked, or None for a forged, expired or malformed token."""
    try:
        shop_id, contact_id, message_id = _serializer(secret_key).loads(token, max_age=max_age)
        return Clicker(int(shop_id), int(contact_id), int(message_id))
    except (BadSignature, TypeError, ValueError):
        return None


def with_clicker(url: str, token: str) -> str:
    """Add the signed clicker to a URL's query, keeping everything else as it was."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != PARAMETER]
    return urlunsplit(parts._replace(query=urlencode([*query, (PARAMETER, token)])))
