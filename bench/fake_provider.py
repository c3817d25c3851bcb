"""A local stand-in for SendGrid's v3 API for benchmarks and fault scenarios, run as its own process.

It answers ``POST /v3/mail/send`` with 202 and an ``X-Message-Id`` (after ``--delay`` ms), keeps
every accepted mail's ``storeflow_message_id``, answers SendGrid's Email Activity search
(``GET /v3/messages?query=unique_args['storeflow_message_id']="7"``) from them, and reports
``GET /stats``: mails accepted, distinct references, the references accepted more than once, the
sends in flight (waiting out their delay), the sends dropped, and the Email Activity searches
(and how many found their mail).

A send whose client hung up during its delay (a worker SIGKILLed mid-call) is dropped, as a mail
SendGrid never received: so a fault scenario sees both kinds of cut-off call, the ones taken before
the worker died (answered, the answer lost with the worker) and the ones never taken.
127.0.0.1 only.

    .venv/bin/python bench/fake_provider.py --port 8025 [--delay 0]
"""

from __future__ import annotations

import argparse
import json
import re
import select
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

REFERENCE_QUERY = re.compile(r"unique_args\['storeflow_message_id'\]=\"([^\"]*)\"")


class Provider:
    """What the fake has accepted, shared by its request threads."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.accepted: Counter[str] = Counter()
        self.ids: dict[str, str] = {}
        self.in_flight = 0
        self.dropped = 0
        self.lookups = 0
        self.found = 0
        self.lock = threading.Lock()

    def accept(self, reference: str) -> str:
        with self.lock:
            self.accepted[reference] += 1
            number = sum(self.accepted.values())
            self.ids.setdefault(reference, f"fake-{number}")
            return self.ids[reference]

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "accepted": sum(self.accepted.values()),
                "references": len(self.accepted),
                "duplicates": {ref: n for ref, n in self.accepted.items() if n > 1},
                "in_flight": self.in_flight,
                "dropped": self.dropped,
                "lookups": self.lookups,
                "lookups_found": self.found,
            }

    def wait(self, connection: socket.socket) -> bool:
        """Wait out the delay; tell whether the client is still there to be answered."""
        with self.lock:
            self.in_flight += 1
        try:
            time.sleep(self.delay)
            if hung_up(connection):
                with self.lock:
                    self.dropped += 1
                return False
            return True
        finally:
            with self.lock:
                self.in_flight -= 1


def hung_up(connection: socket.socket) -> bool:
    """Tell whether the peer closed the connection (a readable socket with nothing to read)."""
    readable, _, _ = select.select([connection], [], [], 0)
    if not readable:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/v3/mail/send":
                self._json(404, {"errors": [{"message": "not found"}]})
                return
            if provider.delay and not provider.wait(self.connection):
                self.close_connection = True
                return
            reference = str((json.loads(body).get("custom_args") or {}).get("storeflow_message_id", ""))
            message_id = provider.accept(reference)
            self.send_response(202)
            self.send_header("X-Message-Id", message_id)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/stats":
                self._json(200, provider.stats())
                return
            if parts.path == "/v3/messages":
                match = REFERENCE_QUERY.fullmatch(parse_qs(parts.query).get("query", [""])[0])
                reference = match.group(1) if match else None
                with provider.lock:
                    found = reference in provider.accepted
                    message_id = provider.ids.get(reference or "")
                    provider.lookups += 1
                    provider.found += found
                self._json(
                    200, {"messages": [{"msg_id": message_id, "status": "delivered"}] if found else []}
                )
                return
            self._json(200, {"scopes": ["mail.send", "messages.read"]})

        def _json(self, status: int, document: object) -> None:
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class Server(ThreadingHTTPServer):
    """Room for every worker's concurrent sends: socketserver's backlog of 5 makes a loaded
    machine reset connections (seen: 2 of 300 sends of one batch, load average 10), which the
    app rightly takes for calls that may have arrived."""

    daemon_threads = True
    request_queue_size = 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.0, help="milliseconds before each mail send answers")
    args = parser.parse_args()
    server = Server(("127.0.0.1", args.port), handler(Provider(args.delay / 1000)))
    server.serve_forever()


if __name__ == "__main__":
    main()
