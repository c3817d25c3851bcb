"""Shopify-managed install: the embedded app's session token is exchanged for expiring offline tokens.

https://shopify.dev/docs/apps/build/authentication-authorization/get-access-tokens/exchange-tokens
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import httpx
import pytest
import respx
from flask import Flask

from app.core.clock import ManualClock
from app.db import db
from app.db.models import Shop
from app.jobs.installs import shopify_set_up
from app.jobs.services import Services
from app.platforms.shopify.errors import SessionTokenError
from app.platforms.shopify.exchange import ensure_installed
from app.platforms.shopify.session_tokens import SessionToken, verify_session_token
from tests.support.db import count, rows
from tests.support.factories import Factory
from tests.support.shopify import SHOP_DOMAIN, TEST_CLIENT_ID, TEST_SECRET
from tests.support.shopify_api import SCOPES, session_token, token_grant, token_url

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


@pytest.fixture
def services(app: Flask) -> Services:
    services: Services = app.extensions["storeflow"]
    return services


@pytest.fixture
def verified(services: Services) -> SessionToken:
    """A session token as the embedded admin receives it on a fetch request."""
    headers = {"Authorization": f"Bearer {session_token()}"}
    return verify_session_token("GET", "https://storeflow.test/admin", headers, services.config)


def within_a_second(actual: datetime | None, expected: datetime) -> bool:
    return actual is not None and abs(actual - expected) <= timedelta(seconds=1)


def install(app: Flask, verified: SessionToken, client: httpx.Client | None = None) -> Shop:
    with app.app_context():
        services = app.extensions["storeflow"]
        shop = ensure_installed(
            verified, db.session(), services, shopify_set_up(services), http_client=client
        )
        db.session.expunge(shop)
        return shop


def test_first_request_exchanges_the_session_token_and_installs_the_shop(
    app: Flask, services: Services, clock: ManualClock, verified: SessionToken, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(token_url()).respond(json=token_grant(access_token="shpat_te", refresh_token="shprt_te"))

    install(app, verified)

    [shop] = rows(app, Shop)
    assert (shop.domain, shop.scopes, shop.installed_at) == (SHOP_DOMAIN, SCOPES, clock.now())
    assert shop.access_token_enc != "shpat_te"
    assert services.cipher.decrypt(shop.access_token_enc) == "shpat_te"
    assert services.cipher.decrypt(shop.refresh_token_enc) == "shprt_te"
    assert within_a_second(shop.access_token_expires_at, clock.now() + timedelta(hours=1))
    assert within_a_second(shop.refresh_token_expires_at, clock.now() + timedelta(days=90))


def test_exchange_asks_for_an_expiring_offline_token(
    app: Flask, verified: SessionToken, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(token_url()).respond(json=token_grant())

    install(app, verified)

    body = json.loads(route.calls.last.request.content)
    assert body == {
        "client_id": TEST_CLIENT_ID,
        "client_secret": TEST_SECRET,
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": verified.id_token.token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
        "expiring": 1,
    }


def test_exchange_queues_after_install(
    app: Flask, services: Services, verified: SessionToken, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(token_url()).respond(json=token_grant())

    shop = install(app, verified)

    [job] = services.queue.jobs
    assert (job.func_name, job.args) == ("app.jobs.installs.after_shopify_install", (shop.id,))


def test_installed_shop_with_a_live_token_is_returned_without_calling_shopify(
    app: Flask, clock: ManualClock, factory: Factory, verified: SessionToken, respx_mock: respx.MockRouter
) -> None:
    existing = factory.shop(
        access_token_enc="ciphertext",
        refresh_token_enc="ciphertext",
        refresh_token_expires_at=clock.now() + timedelta(days=30),
    )

    shop = install(app, verified)

    assert shop.id == existing.id
    assert not respx_mock.calls


def test_uninstalled_shop_is_reinstalled(
    app: Flask, clock: ManualClock, factory: Factory, verified: SessionToken, respx_mock: respx.MockRouter
) -> None:
    factory.shop(access_token_enc="stale", uninstalled_at=clock.now() - timedelta(days=1))
    respx_mock.post(token_url()).respond(json=token_grant())

    install(app, verified)

    [shop] = rows(app, Shop)
    assert shop.uninstalled_at is None
    assert shop.installed_at == clock.now()


def test_shop_whose_refresh_token_expired_exchanges_again(
    app: Flask,
    services: Services,
    clock: ManualClock,
    factory: Factory,
    verified: SessionToken,
    respx_mock: respx.MockRouter,
) -> None:
    factory.shop(
        access_token_enc="stale",
        refresh_token_enc="stale",
        refresh_token_expires_at=clock.now() - timedelta(minutes=1),
    )
    respx_mock.post(token_url()).respond(json=token_grant(access_token="shpat_again"))

    install(app, verified)

    [shop] = rows(app, Shop)
    assert services.cipher.decrypt(shop.access_token_enc) == "shpat_again"


def test_rejected_session_token_tells_app_bridge_to_retry_and_stores_nothing(
    app: Flask, verified: SessionToken, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(token_url()).respond(400, json={"error": "invalid_subject_token"})

    with pytest.raises(SessionTokenError) as caught:
        install(app, verified)

    assert caught.value.status == 401
    assert caught.value.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert count(app, Shop) == 0


def test_an_injected_http_client_carries_the_exchange(app: Flask, verified: SessionToken) -> None:
    seen: list[str] = []

    def shopify(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=token_grant())

    with httpx.Client(transport=httpx.MockTransport(shopify)) as client:
        install(app, verified, client)

    assert seen == [token_url()]
