"""Fetch and cache each Saleor instance's signing keys, and verify with them across key rotation.

Saleor signs webhooks (detached JWS) and dashboard tokens (JWT) with one RSA key, published at
``<origin>/.well-known/jwks.json``. Keys are cached per instance for ``max_age``. When a signature
names a ``kid`` we do not hold, or fails with the key we hold (older Saleor versions name every key
``"1"``, so a rotated key keeps its kid), the set is fetched again once and the check retried.
Forced refetches per instance are at most one per ``refetch_interval``, so forged signatures cannot
make us hammer a Saleor instance. Callers must only pass URLs of installed, allowlisted instances.
https://docs.saleor.io/developer/extending/webhooks/payload-signature
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock
from typing import TypeVar

import jwt
import requests

from app.platforms.saleor.urls import jwks_url
from webhooks.saleor.errors import JwksUnavailableError, UnknownSigningKeyError

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_JWKS_BYTES = 64 * 1024


@dataclass(frozen=True)
class _KeySet:
    fetched_at: float
    keys: dict[str, jwt.PyJWK]
    only: jwt.PyJWK | None  # the key to use for a signature without a kid


class JwksClient:
    """Signing keys of Saleor instances, fetched over ``session`` and cached in this process."""

    def __init__(
        self,
        session: requests.Session,
        timeout: float = 5.0,
        max_age: float = 3600.0,
        refetch_interval: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = session
        self.timeout = timeout
        self.max_age = max_age
        self.refetch_interval = refetch_interval
        self._monotonic = monotonic
        self._sets: dict[str, _KeySet] = {}
        self._forced_at: dict[str, float] = {}
        self._lock = Lock()

    def verify(self, api_url: str, kid: str | None, check: Callable[[jwt.PyJWK], T]) -> T:
        """Run ``check`` with the instance's key for ``kid``, refetching the set once if it fails."""
        url = jwks_url(api_url)
        keys, fresh = self._cached_or_fetched(url)
        try:
            return check(_pick(keys, kid))
        except (UnknownSigningKeyError, jwt.InvalidSignatureError):
            if fresh or not self._may_force(url):
                raise
        log.info("refetching %s: signature key %r not verified by the cached set", url, kid)
        return check(_pick(self._fetch(url), kid))

    def forget(self, api_url: str) -> None:
        """Drop an instance's cached keys (tests, and an uninstalled instance)."""
        with self._lock:
            self._sets.pop(jwks_url(api_url), None)

    def _cached_or_fetched(self, url: str) -> tuple[_KeySet, bool]:
        cached = self._sets.get(url)
        if cached is not None and self._monotonic() - cached.fetched_at < self.max_age:
            return cached, False
        return self._fetch(url), True

    def _may_force(self, url: str) -> bool:
        now = self._monotonic()
        with self._lock:
            last = self._forced_at.get(url)
            if last is not None and now - last < self.refetch_interval:
                return False
            self._forced_at[url] = now
            return True

    def _fetch(self, url: str) -> _KeySet:
        try:
            response = self.session.get(url, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise JwksUnavailableError(f"could not fetch {url}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise JwksUnavailableError(f"{url} answered {response.status_code}")
        if len(response.content) > MAX_JWKS_BYTES:
            raise JwksUnavailableError(f"{url} answered more than {MAX_JWKS_BYTES} bytes")
        keys = _parse(url, response.content)
        key_set = _KeySet(self._monotonic(), keys, next(iter(keys.values())) if len(keys) == 1 else None)
        with self._lock:
            self._sets[url] = key_set
        return key_set


def _parse(url: str, content: bytes) -> dict[str, jwt.PyJWK]:
    """Read the RSA signing keys of a JWKS document, by kid."""
    try:
        document = json.loads(content)
        raw_keys = document["keys"]
        if not isinstance(raw_keys, list):
            raise TypeError("keys is not a list")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise JwksUnavailableError(f"{url} is not a JWKS document: {exc}") from None
    keys: dict[str, jwt.PyJWK] = {}
    for raw in raw_keys:
        if not isinstance(raw, dict) or raw.get("kty") != "RSA" or raw.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(raw, algorithm="RS256")
        except jwt.PyJWTError:
            continue
        keys[str(raw.get("kid", ""))] = key
    if not keys:
        raise JwksUnavailableError(f"{url} holds no RSA signing key")
    return keys


def _pick(key_set: _KeySet, kid: str | None) -> jwt.PyJWK:
    if kid is None:
        if key_set.only is None:
            raise UnknownSigningKeyError("signature names no kid and the instance publishes several keys")
        return key_set.only
    try:
        return key_set.keys[kid]
    except KeyError:
        raise UnknownSigningKeyError(f"the instance publishes no key with kid {kid!r}") from None
