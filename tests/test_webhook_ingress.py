"""The WSGI ingress answers webhook POSTs itself and hands every other request to Flask."""

from __future__ import annotations

import io

from app.web.webhooks.ingress import Reply, WebhookIngress

LIMIT = 100


def _environ(path="/hook", method="POST", body=b"{}", content_length: str | None = "auto"):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO(body)}
    if content_length == "auto":
        environ["CONTENT_LENGTH"] = str(len(body))
    elif content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    return environ


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, headers, raw):
        self.calls.append(raw)
        return Reply.status("stored")


def _serve(ingress, environ):
    started = {}

    def start_response(status, headers):
        started.update(status=status, headers=dict(headers))

    body = b"".join(ingress(environ, start_response))
    return started, body


def _ingress(receiver, downstream=None):
    def flask_app(environ, start_response):
        start_response("200 OK", [])
        return [b"flask"]

    return WebhookIngress(downstream or flask_app, {"/hook": receiver}, LIMIT)


def test_a_webhook_post_reaches_its_receiver_with_the_raw_body():
    receiver = Recorder()

    started, body = _serve(_ingress(receiver), _environ(body=b'{"a": 1}'))

    assert receiver.calls == [b'{"a": 1}']
    assert started["status"] == "200 OK"
    assert started["headers"]["Content-Type"] == "application/json"
    assert body == b'{"status": "stored"}'


def test_other_paths_go_on_to_flask():
    _, body = _serve(_ingress(Recorder()), _environ(path="/admin", method="GET"))

    assert body == b"flask"


def test_a_declared_length_over_the_limit_is_refused_unread():
    receiver = Recorder()

    started, _ = _serve(_ingress(receiver), _environ(body=b"x" * (LIMIT + 1)))

    assert started["status"].startswith("413")
    assert receiver.calls == []


def test_a_body_without_length_is_read_only_up_to_the_limit():
    receiver = Recorder()

    started, _ = _serve(_ingress(receiver), _environ(body=b"x" * (LIMIT * 5), content_length=None))

    assert started["status"].startswith("413")
    assert receiver.calls == []


def test_a_small_body_without_length_is_accepted():
    receiver = Recorder()

    _serve(_ingress(receiver), _environ(body=b"{}", content_length=None))

    assert receiver.calls == [b"{}"]


def test_a_content_length_that_is_not_a_number_gets_400():
    receiver = Recorder()

    started, body = _serve(_ingress(receiver), _environ(content_length="12abc"))

    assert started["status"].startswith("400")
    assert b"Content-Length" in body
    assert receiver.calls == []


def test_methods_other_than_post_get_405():
    started, _ = _serve(_ingress(Recorder()), _environ(method="PUT"))

    assert started["status"] == "405 Method Not Allowed"
