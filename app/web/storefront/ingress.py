"""Serve ``/storefront/events`` at the WSGI layer, ahead of Flask, as the webhooks are.

It is the busiest public path we have (every product view of every storefront), and it needs none
of Flask's per-request machinery: the origin, the key in the query string and the raw body. The
same posts may also arrive forwarded and signed by a platform (Shopify's app proxy): each such path
comes with the verifier of its signature.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from werkzeug.http import HTTP_STATUS_CODES

from app.storefront.logins import LoginVerifier
from app.web.storefront.receiver import Answer, StorefrontReceiver
from app.web.webhooks.ingress import Reply, read_body

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PATH = "/storefront/events"
MAX_BODY_BYTES = 16384
MAX_KEY_LENGTH = 64


class StorefrontIngress:
    """WSGI middleware: answers POST and OPTIONS on the events path; everything else goes on."""

    def __init__(
        self,
        downstream: WSGIApplication,
        receiver: StorefrontReceiver,
        max_bytes: int = MAX_BODY_BYTES,
        signed_paths: Mapping[str, LoginVerifier] | None = None,
    ) -> None:
        self.downstream = downstream
        self.receiver = receiver
        self.max_bytes = max_bytes
        self.signed_paths = dict(signed_paths or {})

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        verify = self.signed_paths.get(path or "")
        if path == PATH:
            answer = self._handle(environ)
        elif verify is not None:
            answer = self._handle_signed(environ, verify)
        else:
            return self.downstream(environ, start_response)
        reply = answer.reply
        headers = [("Content-Length", str(len(reply.body))), *answer.headers]
        if reply.body:
            headers.insert(0, ("Content-Type", "application/json"))
        start_response(f"{reply.status_code} {HTTP_STATUS_CODES.get(reply.status_code, '')}", headers)
        return [reply.body]

    def _handle(self, environ: WSGIEnvironment) -> Answer:
        method = environ.get("REQUEST_METHOD")
        origin = str(environ.get("HTTP_ORIGIN", ""))[:256]
        key = (parse_qs(environ.get("QUERY_STRING", "")).get("k") or [""])[0][:MAX_KEY_LENGTH]
        if method == "OPTIONS":
            return self.receiver.preflight(origin, key)
        if method != "POST":
            return Answer(Reply.error(405, "use POST"))
        raw = self._body(environ)
        if isinstance(raw, Answer):
            return raw
        return self.receiver.receive(origin, key, raw)

    def _handle_signed(self, environ: WSGIEnvironment, verify: LoginVerifier) -> Answer:
        if environ.get("REQUEST_METHOD") != "POST":
            return Answer(Reply.error(405, "use POST"))
        raw = self._body(environ)
        if isinstance(raw, Answer):
            return raw
        url = f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
        return self.receiver.receive_signed(verify, url, raw)

    def _body(self, environ: WSGIEnvironment) -> bytes | Answer:
        """Read the body up to the limit, or return the refusal of one that is too big or ill-declared."""
        declared = environ.get("CONTENT_LENGTH") or None
        if declared is not None and not declared.isdigit():
            return Answer(Reply.error(400, "Content-Length is not a number"))
        raw = read_body(environ["wsgi.input"], int(declared) if declared else None, self.max_bytes)
        if raw is None:
            return Answer(Reply.error(413, f"body over {self.max_bytes} bytes"))
        return raw
