"""The embedded default (a SQLite file) runs the same pipeline: webhook, relay, RQ worker, send."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_migrate import upgrade

from app.db import db
from app.db.models import Enrollment, Message, WebhookEvent
from app.web.factory import create_app
from tests.conftest import test_config
from tests.support.db import count, rows
from tests.support.factories import Factory
from tests.support.shopify import deliver
from tests.support.worker import Harness
from tests.test_flows_shopify import checkout_payload, order_payload

HOUR = timedelta(hours=1)


@pytest.fixture
def sqlite_app(tmp_path, redis, clock):
    app = create_app(test_config(f"sqlite:///{tmp_path / 'storeflow.db'}"), clock=clock)
    with app.app_context():
        upgrade()
        factory = Factory(db.session(), clock)
        shop = factory.shop()
        factory.enable(shop, "abandoned_checkout", "thank_you")
    yield app
    with app.app_context():
        db.engine.dispose()


def test_recovery_and_thank_you_run_on_sqlite(sqlite_app, clock):
    client, harness = sqlite_app.test_client(), Harness(sqlite_app, clock)

    deliver(client, "checkouts/create", checkout_payload(clock))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))
    deliver(client, "orders/paid", order_payload(clock))
    harness.drain()
    harness.advance(48 * HOUR)

    assert [(m.template, m.status) for m in rows(sqlite_app, Message)] == [
        ("abandoned_checkout_1", "sent"),
        ("thank_you", "sent"),
    ]
    assert rows(sqlite_app, Enrollment, flow_key="abandoned_checkout")[0].state == "exited"


def test_duplicates_are_stored_once_on_sqlite(sqlite_app, clock):
    client = sqlite_app.test_client()

    statuses = [
        deliver(client, "checkouts/create", checkout_payload(clock), event_id="dup").json for _ in range(3)
    ]

    assert statuses == [{"status": "stored"}, {"status": "duplicate"}, {"status": "duplicate"}]
    assert count(sqlite_app, WebhookEvent) == 1


def test_a_forged_webhook_stores_nothing_on_sqlite(sqlite_app, clock):
    response = deliver(sqlite_app.test_client(), "checkouts/create", checkout_payload(clock), secret="forged")

    assert response.status_code == 401
    assert count(sqlite_app, WebhookEvent) == 0


def test_the_flow_simulator_keeps_nothing_on_sqlite(sqlite_app, clock):
    from app.db.models import Contact, FlowSetting, Shop
    from app.jobs.platforms import platforms_of
    from app.simulation.run import simulate

    with sqlite_app.app_context():
        shop_id = db.session.query(Shop.id).scalar()
        services = sqlite_app.extensions["storeflow"]
        platforms = platforms_of(services)
        simulation = simulate(db.engine, services.config, platforms, shop_id, "welcome_series", clock.now())
        db.session.remove()

    assert simulation.count("sent") >= 2
    assert count(sqlite_app, Contact) == 0
    assert count(sqlite_app, Enrollment) == 0
    assert count(sqlite_app, Message) == 0
    assert count(sqlite_app, FlowSetting) == 2
