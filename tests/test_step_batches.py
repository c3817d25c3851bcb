"""Due steps run in batches: claimed together, sent together, each message still exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.channels.registry import ChannelSet
from app.channels.sendgrid_email import SendGridChannel
from app.db import db
from app.db.models import Enrollment, Message
from app.jobs.tasks import step_executor
from app.messaging.sender import MessageSender
from flows.runner import STEP_LEASE, changed_since_loaded, claim_due
from tests.support.db import count, rows, watching_statements
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.shopify import deliver
from tests.support.store import checkout_payload

FIRST_EMAIL = timedelta(hours=1, minutes=1)
SENDGRID_KEY = "SG.test-key"


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture
def channels(sendgrid: FakeSendGrid) -> ChannelSet:
    email = SendGridChannel(SENDGRID_KEY, host=sendgrid.url)
    return ChannelSet(email=email, sms=email)


def abandon_checkouts(client: Any, harness: Any, factory: Any, number: int) -> None:
    """``number`` shoppers who accepted email marketing each start a checkout now and leave."""
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    for n in range(number):
        email = f"shopper{n}@batch.example"
        payload = checkout_payload(harness.clock, id=7_000 + n, token=f"batch-{n}", email=email)
        payload["customer"] = {**payload["customer"], "id": 8_000 + n, "email": email}
        assert deliver(client, "checkouts/create", payload, event_id=f"batch-{n}").status_code == 200
    harness.drain()


def run_one_batch(app: Flask) -> dict[str, int]:
    with app.app_context(), ThreadPoolExecutor(16) as pool:
        outcomes = step_executor(app.extensions["storeflow"], pool).run_due()
        db.session.remove()
    return dict(outcomes)


def test_a_batch_sends_every_due_reminder_once(app, client, harness, factory, sendgrid):
    abandon_checkouts(client, harness, factory, 12)
    harness.clock.advance(FIRST_EMAIL)

    outcomes = run_one_batch(app)

    assert outcomes == {"waiting": 12}
    assert count(app, Message, status="sent") == 12
    assert len(sendgrid.sends) == 12
    assert len({mail.mail["personalizations"][0]["to"][0]["email"] for mail in sendgrid.sends}) == 12


def test_a_batch_makes_its_provider_calls_at_once(app, client, harness, factory, sendgrid):
    abandon_checkouts(client, harness, factory, 6)
    harness.clock.advance(FIRST_EMAIL)
    sendgrid.hold()
    batch = threading.Thread(target=run_one_batch, args=(app,))
    batch.start()

    deadline = time.monotonic() + 20
    while len(sendgrid.sends) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    in_flight = len(sendgrid.sends)  # every call of the batch is waiting on the provider together
    sendgrid.release()
    batch.join(timeout=30)

    assert in_flight == 6
    assert count(app, Message, status="sent") == 6


def test_every_claim_is_durable_before_the_first_provider_call(app, client, harness, factory, sendgrid):
    abandon_checkouts(client, harness, factory, 4)
    harness.clock.advance(FIRST_EMAIL)
    sendgrid.hold()
    batch = threading.Thread(target=run_one_batch, args=(app,))
    batch.start()
    assert sendgrid.arrived.wait(timeout=20)

    sending = count(app, Message, status="sending")  # read by another connection, mid-call
    sendgrid.release()
    batch.join(timeout=30)

    assert sending == 4


def test_two_workers_never_claim_the_same_enrollment(app, client, harness, factory):
    abandon_checkouts(client, harness, factory, 10)
    harness.clock.advance(FIRST_EMAIL)
    now = harness.clock.now()
    with app.app_context():
        first = db.session()
        mine = claim_due(first, now, now + STEP_LEASE, limit=4)  # rows locked till this commits
        with Session(bind=db.engine) as other:
            theirs = claim_due(other, now, now + STEP_LEASE, limit=100)
            other.commit()
        first.commit()

    assert len(mine) == 4
    assert len(theirs) == 6
    assert set(mine).isdisjoint(theirs)


def test_an_enrollment_changed_since_the_batch_loaded_it_is_named(app, client, harness, factory):
    abandon_checkouts(client, harness, factory, 2)
    with app.app_context():
        loaded = db.session.scalars(select(Enrollment).order_by(Enrollment.id)).all()
        with Session(bind=db.engine) as other:  # an order ended the first one meanwhile
            other.execute(
                update(Enrollment)
                .where(Enrollment.id == loaded[0].id)
                .values(state="exited", run_token=Enrollment.run_token + 1)
            )
            other.commit()

        changed = changed_since_loaded(db.session(), loaded)
        ended = loaded[0].id
        db.session.rollback()

    assert changed == [ended]


def test_a_shopper_who_ordered_mid_batch_gets_nothing_and_the_rest_are_sent(
    app, client, harness, factory, sendgrid, monkeypatch
):
    abandon_checkouts(client, harness, factory, 3)
    harness.clock.advance(FIRST_EMAIL)
    with app.app_context():
        first = db.session.scalars(select(Enrollment.id).order_by(Enrollment.id)).first()
    send = MessageSender.send

    def order_arrives_meanwhile(self: MessageSender, enrollment: Enrollment, *args: Any) -> Any:
        claimed = send(self, enrollment, *args)
        if enrollment.id == first:
            with Session(bind=self.session.get_bind()) as webhook:
                webhook.execute(
                    update(Enrollment)
                    .where(Enrollment.id == first)
                    .values(state="exited", exit_reason="order placed", run_token=Enrollment.run_token + 1)
                )
                webhook.commit()
        return claimed

    monkeypatch.setattr(MessageSender, "send", order_arrives_meanwhile)

    run_one_batch(app)

    sent_to = {message.enrollment_id for message in rows(app, Message, status="sent")}
    assert first not in sent_to
    assert len(sent_to) == 2
    assert len(sendgrid.sends) == 2


def test_one_enrollment_that_raises_holds_up_none_of_the_others(
    app, client, harness, factory, sendgrid, monkeypatch
):
    abandon_checkouts(client, harness, factory, 3)
    harness.clock.advance(FIRST_EMAIL)
    with app.app_context():
        poisoned = db.session.scalars(select(Enrollment.id).order_by(Enrollment.id)).first()
    send = MessageSender.send

    def poison(self: MessageSender, enrollment: Enrollment, *args: Any) -> Any:
        if enrollment.id == poisoned:
            raise RuntimeError("a bug in one shopper's data")
        return send(self, enrollment, *args)

    monkeypatch.setattr(MessageSender, "send", poison)

    outcomes = run_one_batch(app)

    assert outcomes == {"waiting": 2, "failed": 1}
    assert count(app, Message, status="sent") == 2
    assert rows(app, Enrollment, id=poisoned)[0].state == "active"  # leased: tried again later


def test_the_statements_of_a_batch_do_not_grow_with_its_size(app, client, harness, factory, sendgrid):
    abandon_checkouts(client, harness, factory, 40)
    harness.clock.advance(FIRST_EMAIL)
    with watching_statements(app) as sent:
        run_one_batch(app)
    statements = sent.statements

    assert count(app, Message, status="sent") == 40
    kinds = sorted(" ".join(statement.split()[:3]) for statement in statements)
    assert len(statements) <= 40, kinds  # set-based: a fixed number of statements for the whole batch
