"""Typed reads from untrusted JSON: each wrong type becomes a NormalizationError naming the field.

Also the one rule for text, time and counts from outside, used by every door (platform webhooks,
the storefront, SendGrid, web push): each string is made storable (``app.core.text``: NUL dropped,
a lone surrogate replaced by U+FFFD) as the JSON is decoded, so no normalizer can forget it; a time
outside ``EARLIEST``..``LATEST`` is refused by ``parse_datetime``, which ``opt_datetime`` turns
into absent; a count is clamped into what a 32-bit column holds (``clamped_count``). None of these
refuses the delivery: the platform would retry it, and Shopify deletes a subscription after 8
failures in a row.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.core.facts import NormalizationError
from app.core.locales import normal_locale
from app.core.text import storable_document
from app.db.models.types import clamped_count
from webhooks.errors import MalformedWebhookError

JSONObject = dict[str, Any]

# No store event happened before the Unix epoch or will happen after 2100; outside these, dates are
# placeholders or attacks (year 1, 9999-12-31), and at datetime's ends arithmetic overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# The only ways JSON text can carry a NUL or a surrogate: escaped. Documents without one skip the walk.
_ESCAPE_TO_CLEAN = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def obj(value: Any, where: str) -> JSONObject:
    """Return value if it is a JSON object."""
    if not isinstance(value, dict):
        raise NormalizationError(f"{where} must be an object")
    return value


def opt_obj(data: JSONObject, key: str) -> JSONObject | None:
    """Return an optional nested object (empty lists, as some payloads send, count as absent)."""
    value = data.get(key)
    if value is None or value == []:
        return None
    return obj(value, key)


def opt_list(data: JSONObject, key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise NormalizationError(f"{key} must be a list")
    return value


def opt_str(data: JSONObject, key: str, max_length: int = 2048) -> str | None:
    """Return a non-empty string, or None when absent, null or blank."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise NormalizationError(f"{key} must be a string")
    value = value.strip()
    if len(value) > max_length:
        raise NormalizationError(f"{key} is longer than {max_length} characters")
    return value or None


def opt_locale(data: JSONObject, key: str) -> str | None:
    """Return a shopper's language tag in one spelling (``app/core/locales.py``), else None.

    Never raises: a locale nobody can read costs the shopper only their language, not their message.
    """
    return normal_locale(data.get(key))


def req_str(data: JSONObject, key: str, max_length: int = 255) -> str:
    value = opt_str(data, key, max_length)
    if value is None:
        raise NormalizationError(f"{key} is required")
    return value


def opt_id(data: JSONObject, key: str, max_length: int = 64) -> str | None:
    """Return an identifier given as a number or a string, as a string.

    An identifier too long to store is refused rather than cut: two cut ids could collide.
    """
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise NormalizationError(f"{key} must be a number or a string")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, str) and value.strip():
        text = value.strip()
    else:
        raise NormalizationError(f"{key} must be a number or a string")
    if len(text) > max_length:
        raise NormalizationError(f"{key} is longer than {max_length} characters")
    return text


def req_id(data: JSONObject, key: str) -> str:
    value = opt_id(data, key)
    if value is None:
        raise NormalizationError(f"{key} is required")
    return value


def opt_bool(data: JSONObject, key: str) -> bool | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise NormalizationError(f"{key} must be true or false")
    return value


def opt_int(data: JSONObject, key: str, default: int = 0) -> int:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NormalizationError(f"{key} must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise NormalizationError(f"{key} must be a finite number")
    return clamped_count(int(value))


def opt_decimal(data: JSONObject, key: str) -> Decimal | None:
    """Return a money amount given as a string or a number; an unreadable amount counts as absent.

    Amounts only decorate messages, so a placeholder like "example string" drops the amount, not
    the event; a value of the wrong JSON type is still refused.
    """
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise NormalizationError(f"{key} must be an amount")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or abs(amount) >= Decimal("1e12"):
        return None
    return amount.quantize(Decimal("0.01"))


def opt_code(data: JSONObject, key: str, length: int) -> str | None:
    """Return a fixed-length letter code (currency, country) in upper case, or None if it is not one."""
    value = opt_str(data, key, 64)
    if value is None or len(value) != length or not value.isalpha():
        return None
    return value.upper()


def opt_datetime(data: JSONObject, key: str) -> datetime | None:
    """Parse an ISO 8601 timestamp into aware UTC; an unreadable one counts as absent."""
    value = opt_str(data, key, 64)
    if value is None:
        return None
    try:
        return parse_datetime(value, key)
    except NormalizationError:
        return None


def parse_datetime(value: str, where: str) -> datetime:
    """Parse an ISO 8601 timestamp into aware UTC, refusing one outside ``EARLIEST``..``LATEST``."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise NormalizationError(f"{where} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return plausible(parsed.astimezone(UTC), where)
    except OverflowError:  # 0001-01-01T00:00+01:00 and 9999-12-31T23:59-14:00 leave datetime's range in UTC
        raise NormalizationError(f"{where} is outside the years {EARLIEST.year}-{LATEST.year}") from None


def plausible(moment: datetime, where: str) -> datetime:
    """Return an aware time if it lies in ``EARLIEST``..``LATEST``; refuse it otherwise."""
    if not EARLIEST <= moment < LATEST:
        raise NormalizationError(f"{where} is outside the years {EARLIEST.year}-{LATEST.year}")
    return moment


def _refuse_constant(name: str) -> None:
    """Refuse NaN and Infinity: Python's json accepts them, JSON (RFC 8259) does not."""
    raise ValueError(f"{name} is not JSON")


def decode_json(raw: bytes | str) -> Any:
    """Parse UTF-8 JSON from outside, every string made storable: how each door reads a body.

    Raises UnicodeDecodeError, ValueError (NaN and Infinity included) or RecursionError; each door
    answers those its own way. A valid surrogate pair is one character once decoded, so only lone
    halves are replaced.
    """
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    value = json.loads(text, parse_constant=_refuse_constant)
    return storable_document(value) if _ESCAPE_TO_CLEAN.search(text) else value


def decode_json_object(raw: bytes) -> tuple[JSONObject, str]:
    """Parse a webhook body that must be a UTF-8 JSON object; return it and its text (kept as sent)."""
    try:
        text = raw.decode("utf-8")
        payload = decode_json(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedWebhookError("body is not valid UTF-8 JSON") from None
    if not isinstance(payload, dict):
        raise MalformedWebhookError("body is not a JSON object")
    return payload, text
