"""A local stand-in for a browser push service (FCM, Mozilla autopush), and the browsers behind it.

It is a real HTTP server on 127.0.0.1 that ``pywebpush`` really posts to. Each subscription it
hands out belongs to a browser whose keys it holds, so it can do what a push service and a browser
do together: check the request's VAPID token (ES256, signed by the key the subscription was made
with, ``aud`` = this service's origin, not expired) and decrypt the body (RFC 8291, aes128gcm)::

    with FakePushService(vapid_public_key) as push:
        info = push.subscribe()             # what the browser's PushSubscription.toJSON() gives
        push.respond_with(410)              # the next post answers 410, later ones 201
        push.deliveries[0].payload          # the decrypted JSON the service worker would get

A request whose VAPID token does not verify is answered 403, as real push services do.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """A browser's half of a subscription: the keys only it holds."""

    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)


@dataclass(frozen=True)
class Delivery:
    """A push the service accepted: for which browser, the VAPID claims, and the decrypted payload."""

    token: str
    headers: dict[str, str]  # names in lower case
    claims: dict[str, Any]
    payload: dict[str, Any]


@dataclass
class FakePushService:
    vapid_public_key: str
    browsers: dict[str, Browser] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    refused: list[tuple[str, int, str]] = field(default_factory=list)
    _script: deque[int] = field(default_factory=deque)

    def __enter__(self) -> FakePushService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, detail = service._answer(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                self.send_response(status)
                if status == 201:
                    self.send_header("Location", f"{service.url}/message/{secrets.token_hex(8)}")
                self.send_header("Content-Length", str(len(detail)))
                self.end_headers()
                self.wfile.write(detail.encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def subscribe(self) -> dict[str, Any]:
        """Make a new browser subscription, as ``pushManager.subscribe`` would, and return its JSON."""
        browser = Browser(
            secrets.token_urlsafe(16), ec.generate_private_key(ec.SECP256R1()), secrets.token_bytes(16)
        )
        self.browsers[browser.token] = browser
        return {
            "endpoint": f"{self.url}/push/{browser.token}",
            "keys": {"p256dh": browser.p256dh, "auth": b64url(browser.auth)},
        }

    def respond_with(self, *statuses: int) -> None:
        """Answer the next posts with these statuses (201s after them)."""
        self._script.extend(statuses)

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        token = path.rsplit("/", 1)[-1]
        browser = self.browsers.get(token)
        if browser is None:
            self.refused.append((token, 404, "no such subscription"))
            return 404, "no such subscription"
        status = self._script.popleft() if self._script else 201
        if status != 201:
            self.refused.append((token, status, "scripted"))
            return status, "scripted answer"
        try:
            claims = self._verify(headers)
        except (jwt.InvalidTokenError, ValueError) as exc:
            self.refused.append((token, 403, str(exc)))
            return 403, f"VAPID: {exc}"
        plain = http_ece.decrypt(
            body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
        )
        self.deliveries.append(Delivery(token, headers, claims, json.loads(plain)))
        return 201, ""

    def _verify(self, headers: dict[str, str]) -> dict[str, Any]:
        """Check ``Authorization: vapid t=<jwt>, k=<public key>`` against the key subscriptions use."""
        scheme, _, params = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError(f"authorization scheme {scheme!r} is not vapid")
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        if fields.get("k", "").rstrip("=") != self.vapid_public_key:
            raise ValueError("k is not the key the subscription was made with")
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
        claims: dict[str, Any] = jwt.decode(fields["t"], key=key, algorithms=["ES256"], audience=self.url)
        if claims["exp"] > time.time() + 24 * 3600:
            raise ValueError("exp is more than 24 hours ahead")
        return claims
