"""A local stand-in for SendGrid's v3 API: a real HTTP server the official client really talks to.

It listens on 127.0.0.1 on a free port, records every request (method, path, headers, JSON body)
and answers each with the next status from a script, then with ``default_status``; a successful
GET (``/v3/scopes``) answers with ``scopes``::

    with FakeSendGrid() as sendgrid:
        sendgrid.respond_with(500, 500)          # two failures, then 202s
        channel = SendGridChannel("SG.key", host=sendgrid.url)

Two pseudo-statuses misbehave at the network level: ``HANG_UP`` closes the connection without an
answer, ``MALFORMED`` answers something that is not HTTP. ``HANG_UP_AFTER_ACCEPTING`` takes the
mail (it is accepted, as a send whose answer was lost in transit) and then hangs up.

Like SendGrid's Email Activity API, ``GET /v3/messages?query=unique_args['storeflow_message_id']="7"``
finds accepted mail by our reference (``activity=False`` answers 403, as for an account without the
add-on). ``hold()`` keeps the next mail sends waiting for ``release()`` before answering, so a test
can kill the worker in the middle of the call; ``accept_held=False`` makes held sends count as never
received.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
HANG_UP_AFTER_ACCEPTING = -3
MAIL_SEND = "/v3/mail/send"
ACTIVITY = "/v3/messages"
REFERENCE_QUERY = re.compile(r"unique_args\['storeflow_message_id'\]=\"([^\"]*)\"")


@dataclass
class FakeSendGrid:
    default_status: int = 202
    # What ``GET /v3/scopes`` answers with: the permissions of the key.
    scopes: tuple[str, ...] = ("mail.send",)
    requests: list[RecordedRequest] = field(default_factory=list)
    # Mail sends SendGrid took (what its Email Activity feed would show), by X-Message-Id.
    accepted: dict[str, RecordedRequest] = field(default_factory=dict)
    activity: bool = True
    accept_held: bool = True
    _script: deque[int] = field(default_factory=deque)
    _held: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
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

    @property
    def sends(self) -> list[RecordedRequest]:
        """The Mail Send requests received, accepted or not."""
        return [r for r in self.requests if r.method == "POST" and r.path == MAIL_SEND]

    def accepted_for(self, reference: str) -> list[RecordedRequest]:
        """The accepted mail carrying our message id ``reference``."""
        return [r for r in self.accepted.values() if _reference(r) == reference]

    def hold(self) -> None:
        """Keep mail sends waiting for ``release()``; ``arrived`` is set when one is waiting."""
        self._held = threading.Event()
        self.arrived.clear()

    def release(self) -> None:
        if self._held is not None:
            self._held.set()
        self._held = None

    def __enter__(self) -> FakeSendGrid:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        self.listen()
        self.serve()

    def listen(self) -> None:
        """Bind the port (connections queue up) without serving yet: safe to fork a worker after this."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        self._server = _Server(("127.0.0.1", 0), Handler)

    def serve(self) -> None:
        """Answer requests from a thread of this process."""
        assert self._server is not None, "listen() first"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-sendgrid",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self.release()
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        recorded = RecordedRequest(
            method=handler.command, path=handler.path, headers=dict(handler.headers.items()), body=body
        )
        if handler.command == "GET" and urlsplit(handler.path).path == ACTIVITY:
            self._answer_activity(handler, recorded)
            return
        with self._lock:
            self.requests.append(recorded)
            number = len(self.requests)
            status = self._script.popleft() if self._script else self.default_status
            held = self._held if recorded.path == MAIL_SEND else None
            taken = 200 <= status < 300 or status == HANG_UP_AFTER_ACCEPTING
            if recorded.path == MAIL_SEND and taken and (held is None or self.accept_held):
                self.accepted[self.message_id(number)] = recorded
        if held is not None:
            self.arrived.set()
            held.wait(timeout=30)
        if status in (HANG_UP, HANG_UP_AFTER_ACCEPTING):
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

    def _answer_activity(self, handler: BaseHTTPRequestHandler, request: RecordedRequest) -> None:
        """Answer an Email Activity search by our reference, as SendGrid's ``GET /v3/messages`` does."""
        with self._lock:
            self.requests.append(request)
            accepted = list(self.accepted.items())
        if not self.activity:
            _json(handler, 403, {"errors": [{"message": "access forbidden"}]})
            return
        query = parse_qs(urlsplit(request.path).query).get("query", [""])[0]
        match = REFERENCE_QUERY.fullmatch(query)
        found = [
            {"msg_id": f"{msg_id}.filter0001", "status": "processing", "to_email": _to(mail)}
            for msg_id, mail in accepted
            if match is not None and _reference(mail) == match.group(1)
        ]
        _json(handler, 200 if match else 400, {"messages": found})


class _Server(ThreadingHTTPServer):
    """Room for a batch's concurrent sends: socketserver's backlog of 5 let a loaded machine reset
    some of a batch's 16 connections (seen: 1 to 3 of 40), which the sender rightly takes for calls
    that may have arrived, leaving them ``sending``."""

    daemon_threads = True
    request_queue_size = 128


def _reference(mail: RecordedRequest) -> str | None:
    custom: dict[str, str] = mail.json().get("custom_args") or {}
    return custom.get("storeflow_message_id")


def _to(mail: RecordedRequest) -> str:
    return str(mail.json()["personalizations"][0]["to"][0]["email"])


def _json(handler: BaseHTTPRequestHandler, status: int, document: object) -> None:
    payload = json.dumps(document).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def unused_port() -> int:
    """A local port nothing listens on (bound then released), for 'provider is down' tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
