"""The decision log when the provider answers badly: a retry is logged as a deferral with its
attempt and time, a refusal as a failure with the provider's answer (SendGrid as a real local server)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from app.channels.registry import ChannelSet
from app.channels.sendgrid_email import SendGridChannel
from app.channels.twilio_sms import TwilioChannel
from app.db.models import Decision
from app.messaging.sender import retry_delay
from tests.support.db import rows
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.store import abandon_checkout

HOUR = timedelta(hours=1)


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture
def channels(sendgrid: FakeSendGrid) -> ChannelSet:
    return ChannelSet(
        email=SendGridChannel("SG.test-key", host=sendgrid.url),
        sms=TwilioChannel("AC" + "0" * 32, "test-auth-token", from_number="+15005550006"),
    )


def test_a_provider_retry_is_logged_as_a_deferral_with_the_attempt_and_when(
    app, client, harness, factory, sendgrid
):
    sendgrid.respond_with(500)
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    abandon_checkout(client, harness)

    harness.advance(HOUR)
    harness.advance(retry_delay(1))

    deferred, sent = rows(app, Decision)
    assert deferred.outcome == "deferred"
    assert deferred.reason.startswith("attempt 1 failed, retrying: SendGrid answered 500")
    assert deferred.facts["attempt"] == 1
    assert deferred.facts["until"] == (deferred.decided_at + retry_delay(1)).isoformat()
    assert (sent.outcome, sent.facts["attempts"], sent.facts["provider"]) == ("sent", 2, "sendgrid")


def test_a_refusal_is_logged_as_a_failure_with_the_providers_answer(app, client, harness, factory, sendgrid):
    sendgrid.respond_with(400)
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    abandon_checkout(client, harness)

    harness.advance(HOUR)

    (failed,) = rows(app, Decision)
    assert failed.outcome == "failed"
    assert "SendGrid answered 400" in failed.reason
