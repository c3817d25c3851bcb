"""Sending, end to end: signed webhook → relay → RQ worker → flow step → provider over HTTP.

SendGrid is a real local HTTP server the official client talks to; Twilio is faked at the HTTP
boundary with ``responses``. Time moves only through the ManualClock (``harness.advance``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from flask import Flask
from requests import PreparedRequest
from sqlalchemy import select

from app.channels.registry import ChannelSet
from app.channels.sendgrid_email import SendGridChannel
from app.channels.twilio_sms import TwilioChannel
from app.db import db
from app.db.models import Contact, Enrollment, Message, Suppression
from app.jobs.tasks import run_step
from app.messaging.sender import retry_delay
from app.web.admin.auth import login_link_token
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.links import targets
from tests.support.samples import sample
from tests.support.shopify import deliver

SENDGRID_KEY = "SG.test-key"
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "test-auth-token"
TWILIO_FROM = "+15005550006"
TWILIO_URL = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
SHOPPER_EMAIL = "example@email.com"
SHOPPER_PHONE = "+16135551111"
RECOVERY_URL = "https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token"

# The abandoned-checkout flow's default waits: email after 1 h, SMS 3 h later, last email 20 h later.
FIRST_EMAIL_DELAY = timedelta(hours=1)
SMS_DELAY = timedelta(hours=3)
SECOND_EMAIL_DELAY = timedelta(hours=20)


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture
def twilio() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, TWILIO_URL, callback=_twilio_created)
        yield mock


@pytest.fixture
def channels(sendgrid: FakeSendGrid, twilio: responses.RequestsMock) -> ChannelSet:
    return ChannelSet(
        email=SendGridChannel(SENDGRID_KEY, host=sendgrid.url),
        sms=TwilioChannel(TWILIO_SID, TWILIO_TOKEN, from_number=TWILIO_FROM),
    )


def _twilio_created(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
    form = {key: values[0] for key, values in parse_qs(str(request.body)).items()}
    sid = "SM" + "b" * 32
    body = {"sid": sid, "status": "queued", "to": form.get("To"), "from": form.get("From")}
    return 201, {"Content-Type": "application/json"}, json.dumps(body)


def start_abandoned_checkout(client, harness, factory, **payload_changes: Any) -> None:
    """A shopper who accepted email marketing starts a checkout now and leaves."""
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    checkout = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    checkout["buyer_accepts_marketing"] = True
    checkout["updated_at"] = harness.clock.now().isoformat()
    checkout.update(payload_changes)
    response = deliver(client, "checkouts/create", checkout)
    assert response.status_code == 200, response.json
    harness.drain()


def messages(app: Flask) -> list[Message]:
    with app.app_context():
        rows = db.session.scalars(select(Message).order_by(Message.step_index)).all()
        db.session.expunge_all()
        return list(rows)


def only_message(app: Flask) -> Message:
    rows = messages(app)
    assert len(rows) == 1, [(m.template, m.status) for m in rows]
    return rows[0]


def statuses(message: Message) -> list[str]:
    return [entry["status"] for entry in message.timeline]


# --- the first email -----------------------------------------------------------------------------


def test_nothing_is_sent_before_the_first_delay(app, client, harness, factory, sendgrid):
    start_abandoned_checkout(client, harness, factory)

    harness.advance(FIRST_EMAIL_DELAY - timedelta(minutes=1))

    assert sendgrid.requests == []


def test_first_email_goes_to_sendgrid_once_after_an_hour(app, client, harness, factory, sendgrid):
    # given
    start_abandoned_checkout(client, harness, factory)

    # when
    harness.advance(FIRST_EMAIL_DELAY)

    # then
    assert len(sendgrid.requests) == 1
    mail = sendgrid.requests[0].mail
    message = only_message(app)
    assert mail["subject"] == message.subject == "John, your cart at Demo Shop is waiting"
    assert mail["personalizations"][0]["to"] == [{"email": SHOPPER_EMAIL}]
    assert mail["from"] == {"email": "shop@storeflow.test", "name": "Demo Shop"}
    assert mail["headers"]["List-Unsubscribe"].startswith("<https://storeflow.test/u/")
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["custom_args"] == {"storeflow_message_id": str(message.id)}
    assert mail["categories"] == ["abandoned_checkout"]


def test_info_logs_of_a_send_carry_the_shop_and_no_shopper_address(
    app, client, harness, factory, sendgrid, caplog
):
    start_abandoned_checkout(client, harness, factory)

    with caplog.at_level(logging.INFO):
        harness.advance(FIRST_EMAIL_DELAY)

    message = only_message(app)
    infos = [record.getMessage() for record in caplog.records if record.levelno == logging.INFO]
    assert f"shop {message.shop_id}: sent message {message.id} (abandoned_checkout email)" in infos
    assert not [line for line in infos if SHOPPER_EMAIL in line]


def test_sent_email_is_recorded_with_the_provider_id_and_rendered_bodies(
    app, client, harness, factory, sendgrid
):
    start_abandoned_checkout(client, harness, factory)

    harness.advance(FIRST_EMAIL_DELAY)

    message = only_message(app)
    assert (message.status, message.attempts) == ("sent", 1)
    assert (message.provider, message.provider_message_id) == ("sendgrid", sendgrid.message_id(1))
    assert message.sent_at == harness.clock.now()
    assert statuses(message) == ["pending", "sent"]
    content = {part["type"]: part["value"] for part in sendgrid.requests[0].mail["content"]}
    assert content == {"text/plain": message.body_text, "text/html": message.body_html}
    assert RECOVERY_URL in targets(client, content["text/plain"])


# --- provider failures ---------------------------------------------------------------------------


def test_transient_failures_are_retried_with_backoff_until_accepted(app, client, harness, factory, sendgrid):
    # given SendGrid fails twice, then accepts
    sendgrid.respond_with(500, 500)
    start_abandoned_checkout(client, harness, factory)

    # when the first attempt runs, then each retry after its backoff
    harness.advance(FIRST_EMAIL_DELAY)
    assert len(sendgrid.requests) == 1
    harness.advance(retry_delay(1))
    assert len(sendgrid.requests) == 2
    harness.advance(retry_delay(2))

    # then the message went out once, on the third attempt
    assert len(sendgrid.requests) == 3
    message = only_message(app)
    assert (message.status, message.attempts) == ("sent", 3)
    assert message.provider_message_id == sendgrid.message_id(3)
    assert statuses(message) == ["pending", "pending", "pending", "sent"]
    assert "attempt 1 failed, retrying: SendGrid answered 500" in message.timeline[1]["detail"]
    assert "attempt 2 failed, retrying: SendGrid answered 500" in message.timeline[2]["detail"]


def test_retry_waits_for_the_backoff(app, client, harness, factory, sendgrid):
    # given a first attempt that failed
    sendgrid.respond_with(503)
    start_abandoned_checkout(client, harness, factory)
    harness.advance(FIRST_EMAIL_DELAY)

    # when less than the backoff passes
    harness.advance(retry_delay(1) - timedelta(seconds=5))

    # then nothing is retried yet
    assert len(sendgrid.requests) == 1
    assert only_message(app).status == "pending"


def test_refusal_fails_the_message_without_retrying(app, client, harness, factory, sendgrid):
    # given
    sendgrid.respond_with(400)
    start_abandoned_checkout(client, harness, factory)

    # when
    harness.advance(FIRST_EMAIL_DELAY)
    harness.advance(timedelta(hours=1))

    # then
    assert len(sendgrid.requests) == 1
    message = only_message(app)
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.detail is not None and "SendGrid answered 400" in message.detail


def test_flow_continues_to_its_next_step_after_a_refusal(app, client, harness, factory, sendgrid):
    # given the first email was refused
    sendgrid.respond_with(400)
    start_abandoned_checkout(client, harness, factory)
    harness.advance(FIRST_EMAIL_DELAY)

    # when the later steps come due
    harness.advance(SMS_DELAY)
    harness.advance(SECOND_EMAIL_DELAY)

    # then the last reminder still goes out
    assert [(m.template, m.status) for m in messages(app)] == [
        ("abandoned_checkout_1", "failed"),
        ("abandoned_checkout_sms", "skipped"),
        ("abandoned_checkout_2", "sent"),
    ]
    assert len(sendgrid.requests) == 2
    assert sendgrid.requests[1].mail["subject"] == "Last reminder: your cart at Demo Shop"


def test_message_fails_after_the_maximum_number_of_transient_failures(
    app, client, harness, factory, sendgrid
):
    # given SendGrid keeps failing
    sendgrid.default_status = 503
    max_attempts = app.extensions["storeflow"].config.send_max_attempts
    start_abandoned_checkout(client, harness, factory)

    # when every attempt runs
    harness.advance(FIRST_EMAIL_DELAY)
    for attempt in range(1, max_attempts):
        harness.advance(retry_delay(attempt))
    harness.advance(timedelta(hours=2))

    # then it gave up after the last allowed attempt
    assert len(sendgrid.requests) == max_attempts
    message = only_message(app)
    assert (message.status, message.attempts) == ("failed", max_attempts)
    assert message.detail is not None
    assert message.detail.startswith(f"gave up after {max_attempts} attempts: SendGrid answered 503")
    assert statuses(message) == ["pending"] * max_attempts + ["failed"]


def test_a_provider_that_keeps_rate_limiting_leaves_a_failed_message_the_merchant_can_see(
    app, client, harness, factory, sendgrid
):
    # given SendGrid answers every attempt with 429 Too Many Requests
    sendgrid.default_status = 429
    max_attempts = app.extensions["storeflow"].config.send_max_attempts
    start_abandoned_checkout(client, harness, factory)

    # when every attempt runs, each after its backoff
    harness.advance(FIRST_EMAIL_DELAY)
    for attempt in range(1, max_attempts):
        harness.advance(retry_delay(attempt))
    harness.advance(timedelta(hours=2))

    # then the message failed for good, and the admin's message log says so, with the reason
    message = only_message(app)
    assert (message.status, message.attempts) == ("failed", max_attempts)
    client.get(f"/admin/login/{login_link_token('test-secret-key', message.shop_id)}")
    log = client.get("/admin/messages?status=failed")
    assert log.status_code == 200
    assert SHOPPER_EMAIL in log.text
    assert f"Gave up after {max_attempts} attempts: SendGrid answered 429" in log.text


def test_running_the_same_step_job_twice_calls_the_provider_once(app, client, harness, factory, sendgrid):
    # given the first email is due
    start_abandoned_checkout(client, harness, factory)
    harness.clock.advance(FIRST_EMAIL_DELAY)
    with app.app_context():
        enrollment = db.session.scalars(select(Enrollment)).one()
        job = (enrollment.id, enrollment.run_token)

    # when the same job runs twice (a duplicate delivery by the queue)
    with app.app_context():
        first = run_step(*job)
    with app.app_context():
        second = run_step(*job)
    harness.drain()

    # then
    assert (first, second) == ("waiting", "stale")
    assert len(sendgrid.requests) == 1
    assert only_message(app).status == "sent"


# --- SMS and consent -----------------------------------------------------------------------------


def test_sms_goes_to_twilio_when_the_shopper_accepted_sms_marketing(
    app, client, harness, factory, sendgrid, twilio
):
    # given
    start_abandoned_checkout(
        client, harness, factory, buyer_accepts_sms_marketing=True, sms_marketing_phone=SHOPPER_PHONE
    )

    # when
    harness.advance(FIRST_EMAIL_DELAY)
    harness.advance(SMS_DELAY)

    # then
    assert len(twilio.calls) == 1
    form = {key: values[0] for key, values in parse_qs(str(twilio.calls[0].request.body)).items()}
    assert form["To"] == SHOPPER_PHONE
    assert form["From"] == TWILIO_FROM
    assert targets(client, form["Body"]) == [RECOVERY_URL]
    assert form["Body"].endswith("Reply STOP to opt out")
    sms = messages(app)[1]
    assert (sms.template, sms.status, sms.to_address) == ("abandoned_checkout_sms", "sent", SHOPPER_PHONE)
    assert (sms.provider, sms.provider_message_id) == ("twilio", "SM" + "b" * 32)
    assert form["StatusCallback"] == f"https://storeflow.test/webhooks/twilio/status?ref={sms.id}"


def test_sms_is_skipped_without_sms_consent(app, client, harness, factory, sendgrid, twilio):
    # given a shopper who left a phone number but did not accept SMS marketing
    start_abandoned_checkout(client, harness, factory, phone=SHOPPER_PHONE, buyer_accepts_sms_marketing=False)

    # when
    harness.advance(FIRST_EMAIL_DELAY)
    harness.advance(SMS_DELAY)

    # then
    assert len(twilio.calls) == 0
    sms = messages(app)[1]
    assert (sms.template, sms.status) == ("abandoned_checkout_sms", "skipped")
    assert sms.detail == "no sms marketing consent (never given)"
    assert sms.attempts == 0


def test_sms_is_skipped_without_a_phone_number(app, client, harness, factory, sendgrid, twilio):
    start_abandoned_checkout(client, harness, factory)

    harness.advance(FIRST_EMAIL_DELAY)
    harness.advance(SMS_DELAY)

    assert len(twilio.calls) == 0
    sms = messages(app)[1]
    assert (sms.status, sms.detail) == ("skipped", "no sms address")


def test_unsubscribing_through_the_email_link_stops_later_emails(app, client, harness, factory, sendgrid):
    # given the shopper got the first email and used its one-click unsubscribe link
    start_abandoned_checkout(client, harness, factory)
    harness.advance(FIRST_EMAIL_DELAY)
    link = sendgrid.requests[0].mail["headers"]["List-Unsubscribe"].strip("<>")
    response = client.post(
        urlsplit(link).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200

    # when the last reminder comes due
    harness.advance(SMS_DELAY)
    harness.advance(SECOND_EMAIL_DELAY)

    # then the flow ended before its next step and SendGrid never hears of it
    assert len(sendgrid.requests) == 1
    assert [m.template for m in messages(app)] == ["abandoned_checkout_1"]
    with app.app_context():
        recovery = db.session.scalars(select(Enrollment)).one()
        assert (recovery.state, recovery.exit_reason) == ("exited", "unsubscribed from email")
    with app.app_context():
        contact = db.session.scalars(select(Contact)).one()
        assert contact.email_consent == "unsubscribed"
        assert db.session.scalars(select(Suppression.address)).all() == [SHOPPER_EMAIL]
