"""Fixtures: a throwaway PostgreSQL database per run, a flushed real Redis, the app and its worker."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
import responses
import respx
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from redis import Redis
from sqlalchemy import text

from app.channels.registry import ChannelSet
from app.core.clock import ManualClock
from app.core.config import Config
from app.db import Base, db
from app.db.models import Shop
from app.web.factory import create_app
from tests.support.discount_api import FakeDiscountApi
from tests.support.factories import Factory
from tests.support.saleor import serve_jwks, signing_key
from tests.support.shopify import TEST_CLIENT_ID, TEST_SECRET
from tests.support.stores import SaleorStore, ShopifyStore, Store
from tests.support.worker import Harness

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _pg_url(database: str) -> str:
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{database}".replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Create a fresh database for this run, migrate it with Alembic, drop it afterwards."""
    name = f"storeflow_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _pg_url(name)
    migrator = create_app(test_config(url))
    with migrator.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_config(database_url: str, **changes: object) -> Config:
    """The configuration tests run with: real services, test secrets, no provider keys."""
    config = Config.from_env(
        {
            "STOREFLOW_ENV": "test",
            "SECRET_KEY": "test-secret-key",
            "REDIS_URL": REDIS_URL,
            "APP_URL": "https://storeflow.test",
            "SHOPIFY_API_KEY": TEST_CLIENT_ID,
            "SHOPIFY_API_SECRET": TEST_SECRET,
            "MAIL_FROM": "shop@storeflow.test",
            "LOG_LEVEL": "INFO",
        }
    )
    return config.replace(database_url=database_url, **changes)


test_config.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture
def redis() -> Iterator[Redis]:
    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def config_changes() -> dict[str, object]:
    """Override in a module to change settings for its tests."""
    return {}


@pytest.fixture
def channels() -> ChannelSet | None:
    """Override in a module to send through fakes of real providers."""
    return None


@pytest.fixture
def app(
    postgres_url: str,
    redis: Redis,
    clock: ManualClock,
    config_changes: dict[str, object],
    channels: ChannelSet | None,
) -> Iterator[Flask]:
    app = create_app(test_config(postgres_url, **config_changes), clock=clock, channels=channels)
    yield app
    with app.app_context():
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.engine.dispose()
    app.extensions["storeflow"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def harness(app: Flask, clock: ManualClock) -> Harness:
    return Harness(app, clock)


@pytest.fixture
def factory(app: Flask, clock: ManualClock) -> Iterator[Factory]:
    with app.app_context():
        yield Factory(db.session, clock)


@pytest.fixture(params=["shopify", "saleor"])
def store(request: pytest.FixtureRequest, client: FlaskClient, harness: Harness) -> Iterator[Store]:
    """The same store on each platform; Saleor's JWKS (and any GraphQL a test adds) on ``store.http``."""
    if request.param == "shopify":
        yield ShopifyStore(client, harness)
        return
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_jwks(mock, signing_key("k1"))
        saleor_store = SaleorStore(client, harness)
        saleor_store.http = mock
        yield saleor_store


@pytest.fixture
def discount_api(app: Flask, store: Store) -> Iterator[Callable[..., FakeDiscountApi]]:
    """Connect a shop to its platform's (fake) discount API: ``discount_api(shop, failures=0, **options)``."""
    with respx.mock(assert_all_called=False) as router:

        def connect(shop: Shop, failures: int = 0, **options: Any) -> FakeDiscountApi:
            api = FakeDiscountApi(failures, **options)
            api.connect(app, shop.id, router, getattr(store, "http", None))
            return api

        yield connect
