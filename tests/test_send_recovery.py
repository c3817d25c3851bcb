"""Exactly once, when a send ends without an answer: a worker SIGKILLed in the middle of the provider
call, or a call that timed out after the provider took the message.

The worker is a real forked process killed with SIGKILL while SendGrid (a real local HTTP server the
official client talks to) holds its request; a second worker, after the lease, asks SendGrid's Email
Activity API (or looks at the events SendGrid already posted) before sending anything again. Twilio
is faked at the HTTP boundary with ``responses``: its Messages list is the record asked.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import requests
import responses
from flask import Flask
from sqlalchemy import event as orm_event
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.channels.registry import ChannelSet
from app.channels.sendgrid_email import SendGridChannel
from app.channels.twilio_sms import TwilioChannel
from app.db import db
from app.db.models import Message
from app.jobs.tasks import step_executor
from app.messaging.sender import SENDING_LEASE
from flows.runner import STEP_LEASE
from tests.support.admin import log_in
from tests.support.fake_sendgrid import HANG_UP, HANG_UP_AFTER_ACCEPTING, FakeSendGrid
from tests.support.sendgrid_events import event, post_events, public_key
from tests.support.shopify import deliver
from tests.support.store import abandon_checkout, checkout_payload
from tests.support.worker import Harness

TWILIO_SID = "AC" + "0" * 32
TWILIO_FROM = "+15005550006"
TWILIO_URL = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
PHONE = "+16135551111"
FIRST_EMAIL = timedelta(hours=1)
SMS = timedelta(hours=3)


@pytest.fixture
def config_changes() -> dict[str, object]:
    return {"sendgrid_webhook_public_key": public_key()}


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    fake = FakeSendGrid()
    fake.listen()  # serving starts in each test: a worker may be forked first
    yield fake
    fake.stop()


@pytest.fixture
def twilio() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def channels(sendgrid: FakeSendGrid) -> ChannelSet:
    return ChannelSet(
        email=SendGridChannel("SG.test-key", host=sendgrid.url),
        sms=TwilioChannel(TWILIO_SID, "test-auth-token", from_number=TWILIO_FROM),
    )


@pytest.fixture
def shop(factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    return shop


def only_message(app: Flask) -> Message:
    with app.app_context():
        (message,) = db.session.scalars(select(Message)).all()
        db.session.expunge_all()
        return message


def kill_mid_send(app: Flask, harness: Harness, sendgrid: FakeSendGrid) -> None:
    """Run the due steps' batch in a forked worker and SIGKILL it while SendGrid holds the request."""
    sendgrid.hold()
    worker = multiprocessing.get_context("fork").Process(target=_run_batch, args=(app,))
    worker.start()
    sendgrid.serve()
    assert sendgrid.arrived.wait(timeout=30), "the worker never called SendGrid"
    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(timeout=10)
    assert worker.exitcode == -signal.SIGKILL
    sendgrid.release()


def kill_mid_batch(app: Flask, sendgrid: FakeSendGrid, calls: int) -> None:
    """Run one batch in a forked worker and SIGKILL it once SendGrid holds ``calls`` of its sends."""
    sendgrid.hold()
    worker = multiprocessing.get_context("fork").Process(target=_run_batch, args=(app,))
    worker.start()
    sendgrid.serve()
    assert sendgrid.arrived.wait(timeout=30), "the worker never called SendGrid"
    deadline = time.monotonic() + 30
    while len(sendgrid.sends) < calls and time.monotonic() < deadline:
        time.sleep(0.01)  # the worker's other provider threads reach SendGrid
    assert len(sendgrid.sends) == calls
    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(timeout=10)
    assert worker.exitcode == -signal.SIGKILL
    sendgrid.release()


def abandon_checkouts(client, harness, number: int) -> None:
    """``number`` shoppers who accepted email marketing each start a checkout now and leave."""
    for n in range(number):
        email = f"shopper{n}@killed.example"
        payload = checkout_payload(harness.clock, id=9_000 + n, token=f"killed-{n}", email=email)
        payload["customer"] = {**payload["customer"], "id": 9_500 + n, "email": email}
        assert deliver(client, "checkouts/create", payload, event_id=f"killed-{n}").status_code == 200
    harness.drain()


def _run_batch(app: Flask) -> None:
    """Be the worker: fresh connections (never the parent's), then one batch of due steps."""
    with app.app_context(), ThreadPoolExecutor(4) as pool:
        db.engine.dispose(close=False)
        step_executor(app.extensions["storeflow"], pool).run_due()


def restart_after_the_lease(app: Flask, harness: Harness) -> None:
    """Let the dead worker's leases run out; a live worker's executor claims the step again."""
    harness.clock.advance(max(STEP_LEASE, SENDING_LEASE) + timedelta(minutes=1))
    harness.drain()


# --- a worker SIGKILLed during the SendGrid call ----------------------------------------------


def test_a_mail_sendgrid_took_before_the_worker_died_is_not_sent_again(app, client, harness, shop, sendgrid):
    # given a worker killed while SendGrid held the mail it had already taken
    abandon_checkout(client, harness)
    harness.clock.advance(FIRST_EMAIL)
    kill_mid_send(app, harness, sendgrid)
    assert only_message(app).status == "sending"

    # when a worker picks the step up after the lease
    restart_after_the_lease(app, harness)

    # then SendGrid was asked, not sent to again
    message = only_message(app)
    assert len(sendgrid.sends) == 1
    assert len(sendgrid.accepted_for(str(message.id))) == 1
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.provider_message_id == f"{sendgrid.message_id(1)}.filter0001"
    assert message.detail == "sendgrid had accepted attempt 1; not resent"


def test_a_mail_sendgrid_never_took_is_sent_once_after_the_worker_died(app, client, harness, shop, sendgrid):
    # given a worker killed before SendGrid took the mail
    sendgrid.accept_held = False
    abandon_checkout(client, harness)
    harness.clock.advance(FIRST_EMAIL)
    kill_mid_send(app, harness, sendgrid)

    # when a worker picks the step up after the lease
    restart_after_the_lease(app, harness)

    # then the mail was sent again, and SendGrid holds exactly one
    message = only_message(app)
    assert len(sendgrid.sends) == 2
    assert len(sendgrid.accepted_for(str(message.id))) == 1
    assert (message.status, message.attempts) == ("sent", 2)
    assert [e["status"] for e in message.timeline] == ["pending", "pending", "sent"]
    assert message.timeline[1]["detail"] == "sendgrid has no record of attempt 1; sending again"


def test_without_the_activity_add_on_a_killed_send_fails_visibly_instead_of_risking_a_duplicate(
    app, client, harness, shop, sendgrid
):
    # given an account whose key cannot read Email Activity, and a worker killed mid-send
    sendgrid.activity = False
    abandon_checkout(client, harness)
    harness.clock.advance(FIRST_EMAIL)
    kill_mid_send(app, harness, sendgrid)

    # when a worker picks the step up after the lease
    restart_after_the_lease(app, harness)

    # then the message is failed, says why, and the admin shows it among failed messages
    message = only_message(app)
    assert len(sendgrid.sends) == 1
    assert message.status == "failed"
    assert message.detail is not None and "not resent to avoid a duplicate" in message.detail
    log_in(client, shop.id)
    page = client.get("/admin/messages?status=failed")
    assert page.status_code == 200
    assert "example@email.com" in page.text


def test_an_event_sendgrid_posted_proves_a_killed_send_arrived(app, client, harness, shop, sendgrid):
    # given no Email Activity access, a worker killed mid-send, and SendGrid's "delivered" event
    sendgrid.activity = False
    abandon_checkout(client, harness)
    harness.clock.advance(FIRST_EMAIL)
    kill_mid_send(app, harness, sendgrid)
    message_id = only_message(app).id
    assert post_events(client, [event("delivered", message_id)]).status_code == 200

    # when a worker picks the step up after the lease
    restart_after_the_lease(app, harness)

    # then the event settles it: sent, not sent again
    message = only_message(app)
    assert len(sendgrid.sends) == 1
    assert (message.status, message.attempts) == ("sent", 1)


def test_every_mail_of_a_batch_killed_mid_send_goes_out_exactly_once(app, client, harness, shop, sendgrid):
    # given five reminders due at once, claimed in one batch by a worker (four provider threads)
    # killed while SendGrid held four of its calls (taken) and the fifth was still to be made
    abandon_checkouts(client, harness, 5)
    harness.clock.advance(FIRST_EMAIL)
    kill_mid_batch(app, sendgrid, calls=4)
    assert [m.status for m in _messages(app)] == ["sending"] * 5

    # when a worker picks the batch up after the lease
    restart_after_the_lease(app, harness)

    # then each was asked about; the four SendGrid had are not sent again, the fifth is sent once
    messages = _messages(app)
    assert [m.status for m in messages] == ["sent"] * 5
    assert [len(sendgrid.accepted_for(str(m.id))) for m in messages] == [1] * 5
    assert len(sendgrid.sends) == 5
    assert sorted(m.attempts for m in messages) == [1, 1, 1, 1, 2]
    confirmed = [m for m in messages if m.attempts == 1]
    assert all(m.detail == "sendgrid had accepted attempt 1; not resent" for m in confirmed)


def test_the_answers_of_a_batch_survive_a_failed_commit_after_its_calls(app, client, harness, shop, sendgrid):
    # given five reminders due at once, and the database gone for the commit right after their calls
    abandon_checkouts(client, harness, 5)
    harness.clock.advance(FIRST_EMAIL)
    sendgrid.serve()
    failed: list[bool] = []

    def database_blip(session: Session) -> None:
        if len(sendgrid.sends) == 5 and not failed:
            failed.append(True)
            raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection"))

    orm_event.listen(Session, "before_commit", database_blip)
    try:
        with app.app_context(), ThreadPoolExecutor(8) as pool:
            step_executor(app.extensions["storeflow"], pool).run_due()
            db.session.remove()
    finally:
        orm_event.remove(Session, "before_commit", database_blip)

    # then SendGrid's answers, given before the blip, are recorded once the database is back
    assert failed
    assert len(sendgrid.sends) == 5
    assert [m.status for m in _messages(app)] == ["sent"] * 5


# --- calls that lost their answer -------------------------------------------------------------


def test_a_timeout_after_sendgrid_took_the_mail_does_not_send_it_twice(app, client, harness, shop, sendgrid):
    # given SendGrid takes the mail and the answer never arrives
    sendgrid.serve()
    sendgrid.respond_with(HANG_UP_AFTER_ACCEPTING)
    abandon_checkout(client, harness)
    harness.advance(FIRST_EMAIL)
    message = only_message(app)
    assert message.status == "sending"
    assert "will be asked whether it arrived" in (message.detail or "")

    # when SendGrid's records have settled and the step runs again
    harness.advance(SendGridChannel.settle)

    # then it was asked and found the mail
    message = only_message(app)
    assert len(sendgrid.sends) == 1
    assert (message.status, message.attempts) == ("sent", 1)


def test_a_call_that_never_reached_sendgrid_is_sent_again_after_asking(app, client, harness, shop, sendgrid):
    # given the connection drops before SendGrid took the mail
    sendgrid.serve()
    sendgrid.respond_with(HANG_UP)
    abandon_checkout(client, harness)
    harness.advance(FIRST_EMAIL)

    # when SendGrid's records have settled
    harness.advance(SendGridChannel.settle)

    # then SendGrid had nothing, so it went out once more, and only once
    message = only_message(app)
    assert len(sendgrid.sends) == 2
    assert len(sendgrid.accepted_for(str(message.id))) == 1
    assert (message.status, message.attempts) == ("sent", 2)


def test_without_the_activity_add_on_a_timed_out_mail_is_sent_again_even_if_sendgrid_took_it(
    app, client, harness, shop, sendgrid
):
    # given an account whose key cannot read Email Activity, and a call whose answer was lost
    # after SendGrid had taken the mail
    sendgrid.activity = False
    sendgrid.serve()
    sendgrid.respond_with(HANG_UP_AFTER_ACCEPTING)
    abandon_checkout(client, harness)
    harness.advance(FIRST_EMAIL)

    # when the provider's settle time has passed
    harness.advance(SendGridChannel.settle)

    # then nothing could tell, so it was sent again: the known duplicate of a provider without an
    # idempotency key or a record we can read (at least once, as for any transient failure)
    message = only_message(app)
    assert len(sendgrid.accepted_for(str(message.id))) == 2
    assert (message.status, message.attempts) == ("sent", 2)
    assert "cannot tell whether it arrived" in message.timeline[-2]["detail"]


def test_nothing_is_asked_or_resent_before_the_provider_has_settled(app, client, harness, shop, sendgrid):
    sendgrid.serve()
    sendgrid.respond_with(HANG_UP)
    abandon_checkout(client, harness)
    harness.advance(FIRST_EMAIL)

    harness.advance(SendGridChannel.settle - timedelta(minutes=1))

    assert len(sendgrid.requests) == 1
    assert only_message(app).status == "sending"


def _sms_checkout(client, harness) -> None:
    abandon_checkout(client, harness, buyer_accepts_sms_marketing=True, sms_marketing_phone=PHONE)


def _sms_sent(request) -> tuple[int, dict[str, str], str]:
    form = {key: values[0] for key, values in parse_qs(str(request.body)).items()}
    return 201, {}, json.dumps({"sid": "SM" + "c" * 32, "status": "queued", "to": form["To"]})


def _twilio_log(*messages: dict[str, object]) -> dict[str, object]:
    return {"messages": list(messages), "next_page_uri": None, "page": 0, "page_size": 20}


def test_a_twilio_timeout_whose_text_is_in_the_message_log_is_not_resent(
    app, client, harness, shop, sendgrid, twilio
):
    # given the SMS request times out on our side, but Twilio created the message
    sendgrid.serve()
    twilio.post(TWILIO_URL, body=requests.ReadTimeout("read timed out"))
    _sms_checkout(client, harness)
    harness.advance(FIRST_EMAIL)
    harness.advance(SMS)
    sms = next(m for m in _messages(app) if m.channel == "sms")
    assert sms.status == "sending"
    sent_at = harness.clock.now().strftime("%a, %d %b %Y %H:%M:%S +0000")
    twilio.get(
        TWILIO_URL,
        json=_twilio_log(
            {"sid": "SM" + "d" * 32, "to": PHONE, "body": sms.body_text, "date_created": sent_at},
        ),
    )

    # when Twilio's log has settled and the step runs again
    harness.advance(TwilioChannel.settle)

    # then the log is read, the message is sent with Twilio's sid, and nothing is posted twice
    sms = next(m for m in _messages(app) if m.channel == "sms")
    posts = [call for call in twilio.calls if call.request.method == "POST"]
    assert len(posts) == 1
    assert (sms.status, sms.provider_message_id) == ("sent", "SM" + "d" * 32)
    lookup = next(call for call in twilio.calls if call.request.method == "GET")
    assert parse_qs(lookup.request.url.split("?", 1)[1])["To"] == [PHONE]


def test_a_twilio_timeout_with_nothing_in_the_log_is_sent_again_once(
    app, client, harness, shop, sendgrid, twilio
):
    sendgrid.serve()
    twilio.post(TWILIO_URL, body=requests.ReadTimeout("read timed out"))
    _sms_checkout(client, harness)
    harness.advance(FIRST_EMAIL)
    harness.advance(SMS)
    twilio.get(TWILIO_URL, json=_twilio_log())
    twilio.remove(responses.POST, TWILIO_URL)
    twilio.add_callback(responses.POST, TWILIO_URL, callback=_sms_sent)

    harness.advance(TwilioChannel.settle)

    sms = next(m for m in _messages(app) if m.channel == "sms")
    posts = [call for call in twilio.calls if call.request.method == "POST"]
    assert len(posts) == 2
    assert (sms.status, sms.attempts, sms.provider_message_id) == ("sent", 2, "SM" + "c" * 32)


def _messages(app: Flask) -> list[Message]:
    with app.app_context():
        found = list(db.session.scalars(select(Message).order_by(Message.step_index)))
        db.session.expunge_all()
        return found
