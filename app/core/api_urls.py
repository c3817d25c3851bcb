"""Saleor API URLs in one normal form, and the pattern check of the operator's allowlist entries.

Pure string work on the core floor (standard library only), so the configuration checks
``SALEOR_ALLOWED_API_URLS`` at start-up; app/platforms/saleor/urls.py builds on it and turns
``ApiUrlFormError`` into the Saleor side's ``InvalidApiUrlError``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from app.core.errors import StoreflowError

DEFAULT_PORTS = {"https": 443, "http": 80}
MAX_URL_LENGTH = 255  # Shop.domain
_WILDCARD_LABEL = "storeflowwildcardlabel"  # a label re.escape leaves alone


class ApiUrlFormError(StoreflowError, ValueError):
    """The value is not an absolute http(s) URL an installation can be keyed by."""


def normal_api_url(raw: str) -> str:
    """Return the API URL in the one form installations are keyed by; raise ApiUrlFormError."""
    value = raw.strip()
    if not value or len(value) > MAX_URL_LENGTH:
        raise ApiUrlFormError("Saleor API URL is empty or too long")
    try:
        parts = urlsplit(value)
    except ValueError:  # an unbalanced or invalid [IPv6] host
        raise ApiUrlFormError("Saleor API URL cannot be parsed") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ApiUrlFormError("Saleor API URL must use https (or http)")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ApiUrlFormError("Saleor API URL must not carry credentials, a query or a fragment")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        raise ApiUrlFormError("Saleor API URL has an invalid port") from None
    if not host:
        raise ApiUrlFormError("Saleor API URL has no host")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = parts.path or "/"
    if not path.endswith("/"):
        path += "/"
    return f"{scheme}://{netloc}{path}"


def check_pattern(pattern: str) -> re.Pattern[str]:
    """Compile one allowlist entry: a full API URL whose host may start with ``*.`` (one label)."""
    if pattern.count("*") > 1 or ("*" in pattern and "://*." not in pattern):
        raise ValueError(
            f"{pattern!r}: '*' may only stand for the first host label, as in https://*.example.com/"
        )
    try:
        normal = normal_api_url(pattern.replace("://*.", f"://{_WILDCARD_LABEL}.", 1))
    except ApiUrlFormError as exc:
        raise ValueError(f"{pattern!r}: {exc}") from None
    return re.compile(re.escape(normal).replace(_WILDCARD_LABEL, "[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"))
