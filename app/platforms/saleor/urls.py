"""Saleor API URLs: one normal form per instance, and the operator's allowlist of them.

An installation is keyed by its GraphQL API URL (``Saleor-Api-Url``). Every URL we are handed is
brought to one form before it is compared, stored or fetched from, so ``HTTPS://Shop.example:443/graphql``
and ``https://shop.example/graphql/`` are the same instance, and only an allowlisted instance is
ever contacted (token check, signing keys).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from app.platforms.saleor.errors import InvalidApiUrlError

DEFAULT_PORTS = {"https": 443, "http": 80}
MAX_URL_LENGTH = 255  # Shop.domain
JWKS_PATH = "/.well-known/jwks.json"
_WILDCARD_LABEL = "storeflowwildcardlabel"  # a label re.escape leaves alone


@lru_cache(maxsize=1024)
def normalize_api_url(raw: str) -> str:
    """Return the API URL in the one form installations are keyed by (cached: every delivery asks)."""
    value = raw.strip()
    if not value or len(value) > MAX_URL_LENGTH:
        raise InvalidApiUrlError("Saleor API URL is empty or too long")
    try:
        parts = urlsplit(value)
    except ValueError:  # an unbalanced or invalid [IPv6] host
        raise InvalidApiUrlError("Saleor API URL cannot be parsed") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidApiUrlError("Saleor API URL must use https (or http)")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidApiUrlError("Saleor API URL must not carry credentials, a query or a fragment")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        raise InvalidApiUrlError("Saleor API URL has an invalid port") from None
    if not host:
        raise InvalidApiUrlError("Saleor API URL has no host")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = parts.path or "/"
    if not path.endswith("/"):
        path += "/"
    return f"{scheme}://{netloc}{path}"


def origin(api_url: str) -> str:
    """Return ``scheme://host[:port]`` of a normalized API URL."""
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=1024)
def jwks_url(api_url: str) -> str:
    """Return where the instance publishes its signing keys: ``<origin>/.well-known/jwks.json``."""
    return origin(api_url) + JWKS_PATH


def check_pattern(pattern: str) -> re.Pattern[str]:
    """Compile one allowlist entry: a full API URL whose host may start with ``*.`` (one label)."""
    if pattern.count("*") > 1 or ("*" in pattern and "://*." not in pattern):
        raise ValueError(
            f"{pattern!r}: '*' may only stand for the first host label, as in https://*.example.com/"
        )
    try:
        normal = normalize_api_url(pattern.replace("://*.", f"://{_WILDCARD_LABEL}.", 1))
    except InvalidApiUrlError as exc:
        raise ValueError(f"{pattern!r}: {exc}") from None
    return re.compile(re.escape(normal).replace(_WILDCARD_LABEL, "[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"))


class ApiUrlAllowlist:
    """The Saleor instances the operator lets install Storeflow; empty allows none."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self._patterns = tuple(check_pattern(p) for p in patterns)

    def allows(self, api_url: str) -> bool:
        """Tell whether a normalized API URL matches an allowlist entry exactly."""
        return any(p.fullmatch(api_url) for p in self._patterns)
