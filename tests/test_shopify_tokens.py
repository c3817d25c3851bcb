"""Expiring offline tokens: refreshed before expiry, rotated refresh tokens stored, one refresher at a time.

https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import respx
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.core.clock import ManualClock
from app.db import db
from app.db.models import Shop
from app.jobs.services import Services
from app.platforms.shopify.errors import ShopifyAuthError
from app.platforms.shopify.tokens import ShopifyTokens
from tests.support.db import rows
from tests.support.factories import Factory
from tests.support.shopify import TEST_CLIENT_ID, TEST_SECRET
from tests.support.shopify_api import token_grant, token_url


@pytest.fixture
def services(app: Flask) -> Services:
    services: Services = app.extensions["storeflow"]
    return services


@pytest.fixture
def make_shop(factory: Factory, services: Services, clock: ManualClock) -> Callable[..., Shop]:
    """Store a shop whose access token expires ``expires_in`` from now."""

    def make(expires_in: timedelta, refresh_expires_in: timedelta = timedelta(days=30)) -> Shop:
        return factory.shop(
            access_token_enc=services.cipher.encrypt("shpat_old"),
            access_token_expires_at=clock.now() + expires_in,
            refresh_token_enc=services.cipher.encrypt("shprt_old"),
            refresh_token_expires_at=clock.now() + refresh_expires_in,
        )

    return make


def within_a_second(actual: datetime | None, expected: datetime) -> bool:
    return actual is not None and abs(actual - expected) <= timedelta(seconds=1)


def test_token_valid_beyond_the_margin_is_returned_without_calling_shopify(
    services: Services, make_shop: Callable[..., Shop], respx_mock: respx.MockRouter
) -> None:
    shop = make_shop(timedelta(minutes=6))

    assert ShopifyTokens(db.session(), services).access_token(shop) == "shpat_old"
    assert not respx_mock.calls


def test_token_expiring_within_five_minutes_is_refreshed(
    services: Services, make_shop: Callable[..., Shop], respx_mock: respx.MockRouter
) -> None:
    shop = make_shop(timedelta(minutes=4))
    respx_mock.post(token_url()).respond(
        json=token_grant(access_token="shpat_new", refresh_token="shprt_new")
    )

    assert ShopifyTokens(db.session(), services).access_token(shop) == "shpat_new"


def test_refresh_spends_the_stored_refresh_token(
    services: Services, make_shop: Callable[..., Shop], respx_mock: respx.MockRouter
) -> None:
    shop = make_shop(timedelta(minutes=1))
    route = respx_mock.post(token_url()).respond(json=token_grant())

    ShopifyTokens(db.session(), services).access_token(shop)

    assert json.loads(route.calls.last.request.content) == {
        "client_id": TEST_CLIENT_ID,
        "client_secret": TEST_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": "shprt_old",
    }


def test_refresh_stores_the_rotated_refresh_token_encrypted(
    app: Flask,
    services: Services,
    clock: ManualClock,
    make_shop: Callable[..., Shop],
    respx_mock: respx.MockRouter,
) -> None:
    shop = make_shop(timedelta(minutes=1))
    respx_mock.post(token_url()).respond(
        json=token_grant(access_token="shpat_new", refresh_token="shprt_new")
    )

    ShopifyTokens(db.session(), services).access_token(shop)

    [stored] = rows(app, Shop)
    assert stored.refresh_token_enc != "shprt_new"
    assert services.cipher.decrypt(stored.refresh_token_enc) == "shprt_new"
    assert services.cipher.decrypt(stored.access_token_enc) == "shpat_new"
    assert within_a_second(stored.access_token_expires_at, clock.now() + timedelta(hours=1))
    assert within_a_second(stored.refresh_token_expires_at, clock.now() + timedelta(days=90))


def test_expired_refresh_token_raises_without_calling_shopify(
    services: Services, make_shop: Callable[..., Shop], respx_mock: respx.MockRouter
) -> None:
    shop = make_shop(timedelta(minutes=-10), refresh_expires_in=timedelta(seconds=-1))

    with pytest.raises(ShopifyAuthError):
        ShopifyTokens(db.session(), services).access_token(shop)
    assert not respx_mock.calls


def test_refresh_token_refused_by_shopify_raises(
    services: Services, make_shop: Callable[..., Shop], respx_mock: respx.MockRouter
) -> None:
    shop = make_shop(timedelta(minutes=1))
    respx_mock.post(token_url()).respond(400, json={"error": "invalid_grant"})

    with pytest.raises(ShopifyAuthError):
        ShopifyTokens(db.session(), services).access_token(shop)


def test_uninstalled_shop_has_no_token(services: Services, clock: ManualClock, factory: Factory) -> None:
    shop = factory.shop(access_token_enc=services.cipher.encrypt("shpat_old"), uninstalled_at=clock.now())

    with pytest.raises(ShopifyAuthError):
        ShopifyTokens(db.session(), services).access_token(shop)


def test_refresh_another_worker_just_did_is_reused(
    services: Services, clock: ManualClock, make_shop: Callable[..., Shop], respx_mock: respx.MockRouter
) -> None:
    shop = make_shop(timedelta(minutes=1))  # this worker's copy still says "expiring"
    with Session(db.engine) as other_worker:
        other_worker.execute(
            text("UPDATE shop SET access_token_enc = :token, access_token_expires_at = :expires"),
            {
                "token": services.cipher.encrypt("shpat_from_other_worker"),
                "expires": clock.now() + timedelta(hours=1),
            },
        )
        other_worker.commit()

    assert ShopifyTokens(db.session(), services).access_token(shop) == "shpat_from_other_worker"
    assert not respx_mock.calls


def test_refresh_waits_for_the_row_lock_another_worker_holds(
    app: Flask, services: Services, make_shop: Callable[..., Shop], respx_mock: respx.MockRouter
) -> None:
    shop_id = make_shop(timedelta(minutes=1)).id
    respx_mock.post(token_url()).respond(json=token_grant(access_token="shpat_new"))
    results: list[str] = []

    def refresh_in_another_thread() -> None:
        with app.app_context():
            shop = db.session.get(Shop, shop_id)
            assert shop is not None
            results.append(ShopifyTokens(db.session(), services).access_token(shop))

    with Session(db.engine) as holder:
        holder.execute(text("SELECT id FROM shop WHERE id = :id FOR UPDATE"), {"id": shop_id})
        worker = threading.Thread(target=refresh_in_another_thread)
        worker.start()
        worker.join(timeout=0.5)
        assert worker.is_alive(), "the refresh did not wait for the lock"
        assert not respx_mock.calls
        holder.commit()
    worker.join(timeout=10)

    assert results == ["shpat_new"]
