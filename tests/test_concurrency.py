"""Deliveries racing each other over real HTTP and real workers still give one event, one enrollment,
one message: Shopify's HMAC-signed webhooks and Saleor's JWS-signed ones."""

from __future__ import annotations

import json
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
import responses
from sqlalchemy import select
from werkzeug.serving import make_server

from app.db import db
from app.db.models import Enrollment, Message, WebhookEvent
from app.jobs.tasks import process_events
from app.jobs.worker import make_worker
from tests.support import saleor
from tests.support.db import count
from tests.support.shopify import shopify_headers
from tests.test_flows_shopify import checkout_payload
from tests.test_saleor_flows import checkout_payload as saleor_checkout

HOUR = timedelta(hours=1)


@pytest.fixture
def shop(factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    return shop


class Server:
    """The app on a real HTTP port, in a thread of the test process."""

    def __init__(self, app) -> None:
        self.httpd = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(app):
    running = Server(app)
    yield running
    running.stop()


def _work(app) -> None:
    """Be one worker process: fresh connections (never the parent's), then drain the queue."""
    with app.app_context():
        db.engine.dispose(close=False)
    make_worker(app).work(burst=True)


def _post(url: str, body: bytes, headers: dict[str, str]) -> str:
    response = requests.post(f"{url}/webhooks/shopify", data=body, headers=headers, timeout=10)
    response.raise_for_status()
    return str(response.json()["status"])


def test_the_same_delivery_ten_times_at_once_is_stored_once(app, server, shop, clock):
    body = json.dumps(checkout_payload(clock)).encode()
    headers = shopify_headers(body, "checkouts/create", event_id="same-event")

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda _: _post(server.url, body, headers), range(10)))

    assert sorted(outcomes) == ["duplicate"] * 9 + ["stored"]
    assert count(app, WebhookEvent) == 1


def test_ten_deliveries_of_one_checkout_on_two_workers_enroll_once(app, server, harness, shop, clock):
    body = json.dumps(checkout_payload(clock)).encode()
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(
            pool.map(lambda n: _post(server.url, body, shopify_headers(body, "checkouts/update")), range(10))
        )
    server.stop()  # no threads of ours may be running when the workers fork
    with app.app_context():
        # one event per job, so the two workers really interleave on the same checkout
        for event_id in db.session.scalars(select(WebhookEvent.id)):
            harness.services.queue.enqueue(process_events, [event_id])
        db.session.remove()

    workers = [multiprocessing.get_context("fork").Process(target=_work, args=(app,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    assert count(app, WebhookEvent, status="processed") == 10
    assert count(app, Enrollment) == 1
    assert count(app, Message, status="sent") == 1


# --- Saleor: the same, through the JWS-verified endpoint ------------------------------------------


@pytest.fixture
def saleor_shop(factory):
    shop = factory.shop(
        domain=saleor.API_URL,
        platform="saleor",
        settings={"checkout_url_template": "https://shop.example/checkout?checkout={checkout_id}"},
    )
    factory.enable(shop, "abandoned_checkout")
    return shop


@pytest.fixture
def saleor_keys():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru("http://127.0.0.1")  # our own server, over real HTTP
        saleor.serve_jwks(mock, saleor.signing_key("k1"))
        yield mock


def _post_saleor(url: str, body: bytes) -> str:
    headers = saleor.saleor_headers(body, "CHECKOUT_CREATED", saleor.signing_key("k1"))
    response = requests.post(f"{url}/webhooks/saleor", data=body, headers=headers, timeout=10)
    response.raise_for_status()
    return str(response.json()["status"])


@pytest.mark.parametrize("config_changes", [{"saleor_allowed_api_urls": saleor.ALLOWLIST}])
def test_the_same_saleor_delivery_ten_times_at_once_is_one_event_one_enrollment_one_message(
    app, server, harness, saleor_keys, saleor_shop, clock
):
    body = json.dumps(saleor_checkout(clock)).encode()

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda _: _post_saleor(server.url, body), range(10)))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    assert sorted(outcomes) == ["duplicate"] * 9 + ["stored"]
    assert count(app, WebhookEvent) == 1
    assert count(app, Enrollment) == 1
    assert count(app, Message, status="sent") == 1


@pytest.mark.parametrize("config_changes", [{"saleor_allowed_api_urls": saleor.ALLOWLIST}])
def test_ten_saleor_events_of_one_checkout_on_two_workers_enroll_once(
    app, server, harness, saleor_keys, saleor_shop, clock
):
    bodies = [
        json.dumps(saleor_checkout(clock, issuedAt=f"2026-11-26T11:59:{n:02}+00:00")).encode()
        for n in range(10)
    ]
    with ThreadPoolExecutor(max_workers=10) as pool:
        assert set(pool.map(lambda body: _post_saleor(server.url, body), bodies)) == {"stored"}
    server.stop()
    with app.app_context():
        for event_id in db.session.scalars(select(WebhookEvent.id)):
            harness.services.queue.enqueue(process_events, [event_id])
        db.session.remove()

    workers = [multiprocessing.get_context("fork").Process(target=_work, args=(app,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))

    assert count(app, WebhookEvent, status="processed") == 10
    assert count(app, Enrollment) == 1
    assert count(app, Message, status="sent") == 1
