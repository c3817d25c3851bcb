"""HTTP sessions for Saleor instances that cannot be pointed at our own network (SSRF).

Every URL we fetch from a Saleor instance (its GraphQL API, its signing keys) comes from a request
header, checked against the operator's allowlist. The allowlist names hosts; DNS decides where they
lead, and a hostile or careless record can lead to 127.0.0.1, the cloud's metadata service
(169.254.169.254) or a database on the private network. So the check is made on the address each
connection actually reached, after DNS and at connect time (a record that changes between a check
and the connect cannot slip through): only globally routable addresses are allowed.

``allow_private`` is the escape hatch for tests and the demo, whose Saleor stand-ins listen on
127.0.0.1: ``SALEOR_ALLOW_PRIVATE_NETWORKS=true``, which production refuses at start-up.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from app.core.errors import StoreflowError


class BlockedAddressError(StoreflowError, requests.ConnectionError):
    """A Saleor URL led to a private, loopback, link-local or otherwise non-public address."""


class _RefusedPeer(StoreflowError, OSError):
    """Raised inside urllib3 when the connected peer is not public (it becomes BlockedAddressError)."""


def is_public(address: str) -> bool:
    """Tell whether an IP address is globally routable (not private, loopback, link-local, reserved...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _PublicPeerMixin:
    """Check the peer right after the TCP connect, before a byte of the request is sent."""

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        peer = str(sock.getpeername()[0])
        if not is_public(peer):
            sock.close()
            raise _RefusedPeer(f"{peer} is not a public address")
        return sock


class _PublicHTTPConnection(_PublicPeerMixin, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicPeerMixin, HTTPSConnection):
    pass


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class PublicOnlyAdapter(HTTPAdapter):
    """A requests transport whose every connection must reach a public address."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        pools: PoolManager = self.poolmanager
        pools.pool_classes_by_scheme = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        try:
            return super().send(request, *args, **kwargs)
        except requests.ConnectionError as exc:
            refused = _refusal(exc)
            if refused is None:
                raise
            raise BlockedAddressError(f"{request.url}: {refused}", request=request) from None


def _refusal(exc: BaseException) -> _RefusedPeer | None:
    """Find our refusal inside the errors urllib3 and requests wrap it in."""
    seen: set[int] = set()
    pending: list[Any] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, _RefusedPeer):
            return current
        if isinstance(current, BaseException):
            pending += [current.__cause__, current.__context__, getattr(current, "reason", None)]
            pending += current.args
    return None


def saleor_session(allow_private: bool) -> requests.Session:
    """Return a session for Saleor instances: public addresses only, unless the hatch is open."""
    session = requests.Session()
    if not allow_private:
        adapter = PublicOnlyAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session
