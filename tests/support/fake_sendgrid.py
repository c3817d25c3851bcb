"""A local stand-in for SendGrid's v3 API: a real HTTP server the official client really talks to.

It listens on 127.0.0.1 on a free port, records every request (method, path, headers, JSON body)
and answers each with the next status from a script, then with ``default_status``; a successful
GET (``/v3/scopes``) answers with ``scopes``::

    with FakeSendGrid() as sendgrid:
        sendgrid.respond_with(500, 500)          # two failures, then 202s
        channel = SendGridChannel("SG.key", host=sendgrid.url)

Two pseudo-statuses misbehave at the network level: ``HANG_UP`` closes the connection without an
answer, ``MALFORMED`` answers something that is not HTTP.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ERROR_MESSAGES = {
    400: "The from email does not contain a valid address.",
    401: "The provided authorization grant is invalid, expired, or revoked",
    403: "access forbidden",
    413: "The JSON payload you have included in your request is too large.",
    429: "too many requests",
    500: "internal server error",
    502: "bad gateway",
    503: "service unavailable",
}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def mail(self) -> dict[str, Any]:
        """The Mail Send body, parsed."""
        data: dict[str, Any] = self.json()
        return data


HANG_UP = -1
MALFORMED = -2


@dataclass
class FakeSendGrid:
    default_status: int = 202
    # What ``GET /v3/scopes`` answers with: the permissions of the key.
    scopes: tuple[str, ...] = ("mail.send",)
    requests: list[RecordedRequest] = field(default_factory=list)
    _script: deque[int] = field(default_factory=deque)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        assert self._server is not None, "the fake SendGrid server is not running"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def respond_with(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, in order; ``default_status`` afterwards."""
        with self._lock:
            self._script.extend(statuses)

    def message_id(self, number: int) -> str:
        """The X-Message-Id the fake gives the ``number``-th request (1-based)."""
        return f"fake-sg-{number}"

    def __enter__(self) -> FakeSendGrid:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-sendgrid",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    method=handler.command,
                    path=handler.path,
                    headers=dict(handler.headers.items()),
                    body=body,
                )
            )
            number = len(self.requests)
            status = self._script.popleft() if self._script else self.default_status
        if status == HANG_UP:
            handler.close_connection = True
            return
        if status == MALFORMED:
            handler.wfile.write(b"NOT HTTP AT ALL\r\n\r\n")
            handler.close_connection = True
            return
        if status < 300 and handler.command == "GET":
            scopes = json.dumps({"scopes": list(self.scopes)}).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(scopes)))
            handler.end_headers()
            handler.wfile.write(scopes)
            return
        if status < 300:
            handler.send_response(status)
            handler.send_header("X-Message-Id", self.message_id(number))
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        payload = json.dumps(
            {"errors": [{"message": ERROR_MESSAGES.get(status, "error"), "field": None, "help": None}]}
        ).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        if status == 429:
            handler.send_header("Retry-After", "1")
        handler.end_headers()
        handler.wfile.write(payload)


def unused_port() -> int:
    """A local port nothing listens on (bound then released), for 'provider is down' tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
