"""Deliveries arriving together share one INSERT, and each is still answered for itself, after the commit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from app.db import db
from app.db.models import WebhookEvent
from app.web.factory import create_app
from tests.conftest import POSTGRES_ADMIN_URL, test_config
from tests.support.db import count
from tests.support.factories import Factory
from tests.support.samples import sample
from tests.support.shopify import deliver
from webhooks.inbox import Inbox, InboxUnavailableError, IncomingEvent

CHECKOUT = sample("shopify", "checkouts_create__shopifydocs-2026-04")


class HeldStatement:
    """Wraps the inbox's statement: records each one's event ids, and holds the first until released."""

    def __init__(self, inbox: Inbox) -> None:
        self.execute = inbox.writer._execute
        self.statements: list[list[str]] = []
        self.entered = threading.Event()
        self.proceed = threading.Event()
        inbox.writer._execute = self  # type: ignore[method-assign]

    def __call__(self, connection: Any, rows: list[tuple[Any, ...]]) -> Any:
        self.statements.append([row[3] for row in rows])
        self.entered.set()
        assert self.proceed.wait(5)
        return self.execute(connection, rows)


class Store:
    """``Inbox.store`` called from its own thread, as by one thread of a threaded server."""

    def __init__(self, inbox: Inbox, event: IncomingEvent) -> None:
        self.outcome: bool | BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(inbox, event))
        self.thread.start()

    def _run(self, inbox: Inbox, event: IncomingEvent) -> None:
        try:
            self.outcome = inbox.store(event)
        except BaseException as exc:
            self.outcome = exc

    def answered(self, timeout: float = 5) -> bool:
        self.thread.join(timeout)
        return not self.thread.is_alive()


def event(shop_id: int, event_id: str) -> IncomingEvent:
    return IncomingEvent(shop_id, "shopify", "checkouts/create", event_id, '{"id": 1}')


def store_together(inbox: Inbox, events: list[IncomingEvent]) -> tuple[HeldStatement, list[Store]]:
    """Store the events at once while the committer is busy with a first one, so they form one group."""
    held = HeldStatement(inbox)
    lead = Store(inbox, event(events[0].shop_id, "lead"))
    assert held.entered.wait(5)
    stores = [Store(inbox, e) for e in events]
    for _ in range(500):
        if len(inbox._committer._state.queue) == len(events):
            break
        threading.Event().wait(0.01)
    held.proceed.set()
    assert lead.answered() and all(s.answered() for s in stores)
    assert lead.outcome is True
    return held, stores


@pytest.fixture(params=["postgresql", "sqlite"])
def inbox_app(request: pytest.FixtureRequest, postgres_url, redis, clock, tmp_path) -> Iterator[Flask]:
    """An app on PostgreSQL or on the embedded default, SQLite, with one installed shop."""
    if request.param == "postgresql":
        app = request.getfixturevalue("app")
        request.getfixturevalue("factory").shop()
        yield app
        return
    app = create_app(test_config(f"sqlite:///{tmp_path / 'storeflow.db'}"), clock=clock)
    with app.app_context():
        upgrade()
        Factory(db.session(), clock).shop()
    yield app
    app.extensions["storeflow"].close()
    with app.app_context():
        db.engine.dispose()


def inbox_of(app: Flask) -> Inbox:
    return app.extensions["storeflow"].inbox


def shop_id(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(text("SELECT id FROM shop")))


def test_deliveries_arriving_together_are_stored_by_one_statement(inbox_app):
    inbox, shop = inbox_of(inbox_app), shop_id(inbox_app)

    held, stores = store_together(inbox, [event(shop, name) for name in ("a", "b", "c")])

    assert [sorted(ids) for ids in held.statements] == [["lead"], ["a", "b", "c"]]
    assert [s.outcome for s in stores] == [True, True, True]
    assert count(inbox_app, WebhookEvent) == 4


def test_the_same_event_twice_in_one_group_is_stored_once_and_new_to_one_delivery_only(inbox_app):
    inbox, shop = inbox_of(inbox_app), shop_id(inbox_app)
    assert inbox.store(event(shop, "seen-before")) is True

    held, stores = store_together(inbox, [event(shop, n) for n in ("twice", "twice", "seen-before")])

    assert sorted(ids for ids in held.statements[1]) == ["seen-before", "twice"]
    assert sorted(s.outcome for s in stores[:2]) == [False, True]  # type: ignore[type-var]
    assert stores[2].outcome is False
    assert count(inbox_app, WebhookEvent, event_id="twice") == 1


def test_a_row_the_database_refuses_fails_alone_and_the_rest_of_its_group_is_stored(app, factory):
    shop = factory.shop()
    inbox = inbox_of(app)
    no_such_shop = shop.id + 1000  # the foreign key refuses this row

    _, stores = store_together(inbox, [event(shop.id, "a"), event(no_such_shop, "b"), event(shop.id, "c")])

    assert stores[0].outcome is True and stores[2].outcome is True
    assert isinstance(stores[1].outcome, InboxUnavailableError)
    assert count(app, WebhookEvent, event_id="a") == count(app, WebhookEvent, event_id="c") == 1
    assert count(app, WebhookEvent, event_id="b") == 0


def test_a_delivery_is_answered_only_once_its_row_is_committed(app, factory, postgres_url):
    shop = factory.shop()
    inbox = inbox_of(app)
    held = HeldStatement(inbox)

    store = Store(inbox, event(shop.id, "a"))
    assert held.entered.wait(5)
    answered_before_the_commit = store.answered(timeout=0.2)
    held.proceed.set()

    assert not answered_before_the_commit
    assert store.answered() and store.outcome is True
    with psycopg.connect(postgres_url.replace("+psycopg", "")) as other:  # another session sees it at once
        assert other.execute("SELECT count(*) FROM webhook_event WHERE event_id = 'a'").fetchone() == (1,)


def test_deliveries_get_503_while_the_database_refuses_connections_and_are_stored_when_retried(app, factory):
    factory.shop()
    client = app.test_client()
    assert deliver(client, "checkouts/create", CHECKOUT).status_code == 200  # the shop is now cached
    database = inbox_of(app).engine.url.database
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,)
            )
            refused = deliver(client, "checkouts/create", CHECKOUT, event_id="while-down")
        finally:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')

    retried = deliver(client, "checkouts/create", CHECKOUT, event_id="while-down")

    assert refused.status_code == 503
    assert retried.json == {"status": "stored"}
    assert count(app, WebhookEvent, event_id="while-down") == 1
