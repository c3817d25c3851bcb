"""SSRF: an allowlisted Saleor name that leads to our own network is refused at connect time.

A real local HTTP server on 127.0.0.1 plays the internal service an attacker would aim at; the
allowlist names it as ``localhost`` (a DNS name, as a hostile record would be). Outside tests and
the demo, nothing we fetch for a Saleor instance may reach a loopback or private address.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app.platforms.saleor.egress import BlockedAddressError, is_public, saleor_session
from tests.support.saleor import AUTH_TOKEN, deliver


class InternalService:
    """Something on our own network that must never receive a request on a Saleor's behalf."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                service.paths.append(self.path)
                body = b'{"data": {"app": {"id": "QXBwOjE="}, "shop": {"name": "Internal"}}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.api_url = f"http://localhost:{self.server.server_address[1]}/graphql/"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def internal() -> Iterator[InternalService]:
    service = InternalService()
    yield service
    service.stop()


@pytest.fixture
def config_changes(internal: InternalService) -> dict[str, object]:
    return {"saleor_allowed_api_urls": (internal.api_url,)}


@pytest.mark.parametrize(
    "address",
    [
        *("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0"),
        *("::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "224.0.0.1"),
    ],
)
def test_private_loopback_link_local_and_reserved_addresses_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111"])
def test_routable_addresses_are_public(address):
    assert is_public(address)


def test_an_install_whose_saleor_url_leads_to_loopback_is_refused_before_any_request(client, internal):
    response = client.post(
        "/saleor/register", json={"auth_token": AUTH_TOKEN}, headers={"Saleor-Api-Url": internal.api_url}
    )

    assert response.status_code == 502
    assert internal.paths == []


def test_a_webhook_naming_a_loopback_instance_never_fetches_its_keys(app, client, factory, internal):
    factory.shop(domain=internal.api_url, platform="saleor")

    response = deliver(client, "order_created", {"order": {}}, api_url=internal.api_url)

    assert response.status_code == 503
    assert internal.paths == []


def test_the_session_refuses_loopback_whatever_the_name(internal):
    with pytest.raises(BlockedAddressError, match="not a public address"):
        saleor_session(allow_private=False).get(internal.api_url, timeout=5)
    assert internal.paths == []


def test_the_test_only_hatch_lets_a_local_stand_in_through(internal):
    response = saleor_session(allow_private=True).get(internal.api_url, timeout=5)

    assert response.status_code == 200
    assert internal.paths == ["/graphql/"]
