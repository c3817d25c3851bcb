"""Saleor API URLs: one normal form per instance, and the operator's allowlist of them.

An installation is keyed by its GraphQL API URL (``Saleor-Api-Url``). Every URL we are handed is
brought to one form before it is compared, stored or fetched from, so ``HTTPS://Shop.example:443/graphql``
and ``https://shop.example/graphql/`` are the same instance, and only an allowlisted instance is
ever contacted (token check, signing keys).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from app.core.api_urls import ApiUrlFormError, check_pattern, normal_api_url
from app.platforms.saleor.errors import InvalidApiUrlError

JWKS_PATH = "/.well-known/jwks.json"


@lru_cache(maxsize=1024)
def normalize_api_url(raw: str) -> str:
    """Return the API URL in the one form installations are keyed by (cached: every delivery asks)."""
    try:
        return normal_api_url(raw)
    except ApiUrlFormError as exc:
        raise InvalidApiUrlError(str(exc)) from None


def origin(api_url: str) -> str:
    """Return ``scheme://host[:port]`` of a normalized API URL."""
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=1024)
def jwks_url(api_url: str) -> str:
    """Return where the instance publishes its signing keys: ``<origin>/.well-known/jwks.json``."""
    return origin(api_url) + JWKS_PATH


class ApiUrlAllowlist:
    """The Saleor instances the operator lets install Storeflow; empty allows none."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self._patterns = tuple(check_pattern(p) for p in patterns)

    def allows(self, api_url: str) -> bool:
        """Tell whether a normalized API URL matches an allowlist entry exactly."""
        return any(p.fullmatch(api_url) for p in self._patterns)
