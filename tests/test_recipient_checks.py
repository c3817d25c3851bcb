"""Addresses that are not addresses: a message goes only to an email or a phone number that is one.

Checked at send time, whatever stored the address: an address that fails is skipped with its reason
in the message log and the decision log, never handed to the provider, and never counted as sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import responses
from flask import Flask
from sqlalchemy import select

from app.channels.registry import ChannelSet
from app.channels.sendgrid_email import SendGridChannel
from app.channels.twilio_sms import TwilioChannel
from app.db import db
from app.db.models import Contact, Decision, Message
from app.messaging.recipients import address_problem
from app.reports.queries import shop_report
from tests.support.db import rows
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.samples import sample
from tests.support.shopify import deliver
from tests.test_sending import (
    FIRST_EMAIL_DELAY,
    SECOND_EMAIL_DELAY,
    SENDGRID_KEY,
    SMS_DELAY,
    TWILIO_FROM,
    TWILIO_SID,
    TWILIO_TOKEN,
    TWILIO_URL,
    start_abandoned_checkout,
)

NOT_AN_EMAIL = "not an email address (An email address must have an @-sign.)"


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture
def twilio() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, TWILIO_URL, json={"sid": "SM" + "b" * 32, "status": "queued"}, status=201)
        yield mock


@pytest.fixture
def channels(sendgrid: FakeSendGrid, twilio: responses.RequestsMock) -> ChannelSet:
    return ChannelSet(
        email=SendGridChannel(SENDGRID_KEY, host=sendgrid.url),
        sms=TwilioChannel(TWILIO_SID, TWILIO_TOKEN, from_number=TWILIO_FROM),
    )


def the_whole_sequence(harness) -> None:
    harness.advance(FIRST_EMAIL_DELAY)
    harness.advance(SMS_DELAY)
    harness.advance(SECOND_EMAIL_DELAY)


def reported_as_sent(app: Flask, shop_id: int, clock) -> int:
    """What the shop's report counts as sent over the last three days."""
    today = clock.now().date()
    with app.app_context():
        return shop_report(shop_id, today - timedelta(days=2), today).totals.sent


def test_the_public_sample_whose_email_is_example_string_is_sent_nothing(
    app, client, harness, factory, sendgrid
):
    # given the real anonymised checkout whose email is "example string", with "email me" ticked
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    payload = sample("shopify", "checkouts_create__gadgetexemplar-2024-01")
    payload["buyer_accepts_marketing"] = True
    assert deliver(client, "checkouts/create", payload).status_code == 200
    harness.drain()

    # when both recovery emails come due
    the_whole_sequence(harness)

    # then nothing went to SendGrid, and each email says why it was skipped
    assert sendgrid.requests == []
    emails = [(m.template, m.status, m.detail, m.sent_at) for m in rows(app, Message, channel="email")]
    assert emails == [
        ("abandoned_checkout_1", "skipped", NOT_AN_EMAIL, None),
        ("abandoned_checkout_2", "skipped", NOT_AN_EMAIL, None),
    ]
    logged = [(d.outcome, d.reason) for d in rows(app, Decision) if d.facts.get("channel") == "email"]
    assert logged == [("skipped", NOT_AN_EMAIL), ("skipped", NOT_AN_EMAIL)]
    assert reported_as_sent(app, shop.id, harness.clock) == 0


def test_a_stored_phone_that_is_no_number_gets_no_sms(app, client, harness, factory, sendgrid, twilio):
    # given a shopper whose stored phone (555 is no real exchange) was taken in unchecked
    start_abandoned_checkout(client, harness, factory)
    with app.app_context():
        contact = db.session.scalars(select(Contact)).one()
        contact.phone = "+15555550100"
        contact.sms_consent = "subscribed"
        db.session.commit()

    # when the SMS comes due
    harness.advance(FIRST_EMAIL_DELAY)
    harness.advance(SMS_DELAY)

    # then Twilio was never called
    assert len(twilio.calls) == 0
    (sms,) = rows(app, Message, channel="sms")
    assert (sms.status, sms.detail, sms.sent_at) == ("skipped", "not a valid phone number", None)


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.com",  # the reserved documentation domain has a real domain's shape
        "buyer@alpha.example",
        "o'brien+shop@mail.co.uk",
        "jörg@bücher.de",
    ],
)
def test_an_email_address_of_the_right_shape_passes(address):
    assert address_problem("email", address) is None


@pytest.mark.parametrize(
    ("address", "fault"),
    [
        ("example string", "must have an @-sign"),
        ("ann@localhost", "should have a period"),
        ("ann@shop", "should have a period"),
        ("ann@example.invalid", "special-use or reserved name"),
        ("ann@shop.test", "special-use or reserved name"),
        ("ann..smith@example.com", "two periods in a row"),
        ("ann@[192.0.2.1]", "bracketed IP address"),
    ],
)
def test_an_email_address_of_the_wrong_shape_is_named_with_its_fault(address, fault):
    problem = address_problem("email", address)

    assert problem is not None and problem.startswith("not an email address (")
    assert fault in problem


@pytest.mark.parametrize(
    ("number", "ok"), [("+16135550123", True), ("+15555550100", False), ("12345", False)]
)
def test_a_phone_number_must_be_a_valid_number(number, ok):
    assert (address_problem("sms", number) is None) is ok
