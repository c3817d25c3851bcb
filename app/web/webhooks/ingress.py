"""Serve platform webhooks at the WSGI layer, ahead of Flask.

A webhook needs none of what Flask sets up per request (app and request contexts, routing, cookie
session, CSRF hook, SQLAlchemy session teardown): its handler takes headers and raw bytes and
returns a status and a small JSON body. On a 2-core machine, where the bare Flask endpoint this is
measured against costs about 0.4 ms of CPU per request, that machinery was a large share of the
difference (bench/README.md). Every other path goes on to Flask untouched.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import EnvironHeaders, Headers
from werkzeug.http import HTTP_STATUS_CODES

from app.web.metrics import count_delivery

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

READ_CHUNK = 65536


@dataclass(frozen=True)
class Reply:
    status_code: int
    body: bytes
    # What became of the delivery (stored, duplicate, ...), as /metrics counts it.
    outcome: str = ""

    @classmethod
    def status(cls, outcome: str, status_code: int = 200) -> Reply:
        """Acknowledge with ``{"status": outcome}``."""
        return cls(status_code, _encoded("status", outcome), outcome)

    @classmethod
    def error(cls, status_code: int, message: str) -> Reply:
        """Refuse with ``{"error": message}``."""
        return cls(status_code, _encoded("error", message))


_ENCODED: dict[tuple[str, str], bytes] = {}


def _encoded(key: str, value: str) -> bytes:
    """Encode a one-field JSON body, remembering the common ones (they repeat on every delivery)."""
    cached = _ENCODED.get((key, value))
    if cached is None:
        cached = json.dumps({key: value}).encode()
        if len(_ENCODED) < 64:
            _ENCODED[(key, value)] = cached
    return cached


Receiver = Callable[[Headers, bytes], Reply]


class NotServed:
    """The receiver of a platform this deployment does not serve: 404 with the reason, nothing stored."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __call__(self, headers: Headers, raw: bytes) -> Reply:
        log.warning("webhook refused (404): %s", self.reason)
        return Reply.error(404, self.reason)


class WebhookIngress:
    """WSGI middleware: POSTs to a receiver's path are answered here; everything else goes on."""

    def __init__(self, downstream: WSGIApplication, receivers: dict[str, Receiver], max_bytes: int) -> None:
        self.downstream = downstream
        self.receivers = receivers
        self.max_bytes = max_bytes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        receiver = self.receivers.get(environ.get("PATH_INFO", ""))
        if receiver is None:
            return self.downstream(environ, start_response)
        reply = self._handle(environ, receiver)
        count_delivery(environ.get("PATH_INFO", ""), reply.status_code, reply.outcome)
        start_response(
            f"{reply.status_code} {HTTP_STATUS_CODES.get(reply.status_code, '')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(reply.body)))],
        )
        return [reply.body]

    def _handle(self, environ: WSGIEnvironment, receiver: Receiver) -> Reply:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST":
            return Reply.error(405, "use POST")
        declared = environ.get("CONTENT_LENGTH") or None
        if declared is not None and not declared.isdigit():
            log.warning("webhook rejected (400): Content-Length %r, path=%s", declared[:32], path)
            return Reply.error(400, "Content-Length is not a number")
        raw = read_body(environ["wsgi.input"], int(declared) if declared else None, self.max_bytes)
        if raw is None:
            log.warning("webhook rejected (413): body over %s bytes, path=%s", self.max_bytes, path)
            return Reply.error(413, "body too large")
        return receiver(EnvironHeaders(environ), raw)


def read_body(stream: Any, declared: int | None, max_bytes: int) -> bytes | None:
    """Read a raw request body, or return None when it is larger than allowed (declared or sent)."""
    if declared is not None:
        return None if declared > max_bytes else bytes(stream.read(declared))
    chunks: list[bytes] = []  # no Content-Length (chunked): read up to the limit
    total = 0
    while chunk := stream.read(READ_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
