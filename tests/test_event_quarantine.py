"""A processing failure is never silent: a webhook whose processing raises is retried with backoff,
then quarantined with its reason; the operator lists and replays it; its batch goes on without it.

The poison is a real fault in PostgreSQL (tests/support/poison.py), worked through real RQ workers
on the manual clock.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from click.testing import Result

from app.db.models import Enrollment, Message, WebhookEvent
from tests.support.db import count, rows
from tests.support.outbox import sent
from tests.support.poison import (
    CONSTRAINT,
    POISONED_EMAIL,
    RETRY_DELAYS,
    BrokenCheckouts,
    poisoned_checkout,
    shopper_checkout,
)
from tests.support.shopify import deliver

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def shop(factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    return shop


@pytest.fixture
def broken(app):
    checkouts = BrokenCheckouts(app)
    checkouts.break_it()
    yield checkouts
    checkouts.fix()


def cli(app, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["storeflow", "events", *args])


def the_event(app) -> WebhookEvent:
    (event,) = rows(app, WebhookEvent)
    return event


def deliver_poisoned(client, harness) -> None:
    assert deliver(client, "checkouts/create", poisoned_checkout(harness.clock)).status_code == 200
    harness.drain()


def quarantine_poisoned(client, harness) -> None:
    """Deliver the poisoned checkout and let every retry fail."""
    deliver_poisoned(client, harness)
    for delay in RETRY_DELAYS:
        harness.advance(delay)


# --- retried with backoff, then quarantined --------------------------------------------------------


def test_a_failing_event_is_retried_after_each_backoff_on_the_clock(app, client, harness, shop, broken):
    deliver_poisoned(client, harness)
    assert (the_event(app).status, the_event(app).attempts) == ("pending", 1)

    for attempt, delay in enumerate(RETRY_DELAYS[:3], start=2):
        harness.advance(delay - SECOND)
        assert the_event(app).attempts == attempt - 1  # not before its backoff
        harness.advance(SECOND)
        assert the_event(app).attempts == attempt


def test_after_five_attempts_it_is_quarantined_with_its_reason(app, client, harness, shop, broken):
    quarantine_poisoned(client, harness)

    event = the_event(app)
    assert (event.status, event.attempts) == ("quarantined", 5)
    assert event.error.startswith('IntegrityError (CheckViolation): new row for relation "checkout"')
    assert CONSTRAINT in event.error
    harness.advance(DAY)
    assert the_event(app).attempts == 5  # set aside: no more attempts


def test_its_reason_and_the_logs_name_no_shopper(app, client, harness, shop, broken, caplog):
    caplog.set_level(logging.INFO)

    quarantine_poisoned(client, harness)

    assert POISONED_EMAIL not in caplog.text
    assert POISONED_EMAIL not in the_event(app).error
    assert "quarantined" in caplog.text


def test_the_other_events_of_its_batch_are_processed_and_their_shoppers_messaged(
    app, client, harness, shop, broken
):
    # given three checkouts handed to one worker in one batch, the middle one poisoned
    for payload in (
        shopper_checkout(harness.clock, "ann-checkout", "ann@example.com", 7002),
        poisoned_checkout(harness.clock),
        shopper_checkout(harness.clock, "bob-checkout", "bob@example.com", 7003),
    ):
        assert deliver(client, "checkouts/create", payload).status_code == 200
    start = harness.clock.now()
    harness.drain()

    harness.advance(HOUR)

    assert [e.status for e in rows(app, WebhookEvent)] == ["processed", "pending", "processed"]
    assert sorted(m.to_address for m in rows(app, Message, status="sent")) == [
        "ann@example.com",
        "bob@example.com",
    ]
    assert sent(app, start) == [("abandoned_checkout", "email", "abandoned_checkout_1", HOUR)] * 2


# --- listed and replayed by the operator -----------------------------------------------------------


def test_the_cli_lists_quarantined_events_with_their_reason(app, client, harness, shop, broken):
    quarantine_poisoned(client, harness)
    event = the_event(app)

    result = cli(app, "quarantined")

    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if "checkouts/create" in line]
    assert line.startswith(
        f"{event.id} shopify demo-shop.myshopify.com checkouts/create quarantined after 5 attempts"
    )
    assert CONSTRAINT in line


def test_replayed_after_the_fix_the_shopper_gets_their_message(app, client, harness, shop, broken):
    quarantine_poisoned(client, harness)
    broken.fix()

    result = cli(app, "replay", str(the_event(app).id))
    harness.drain()
    harness.advance(HOUR)

    assert result.exit_code == 0, result.output
    assert "replayed 1 event(s)" in result.output
    assert (the_event(app).status, the_event(app).error) == ("processed", None)
    assert [(m.template, m.to_address) for m in rows(app, Message, status="sent")] == [
        ("abandoned_checkout_1", POISONED_EMAIL)
    ]
    assert "no quarantined events" in cli(app, "quarantined").output


def test_replaying_again_and_a_duplicate_delivery_change_nothing_twice(app, client, harness, shop, broken):
    quarantine_poisoned(client, harness)
    broken.fix()
    cli(app, "replay", "--all")
    harness.drain()

    again = cli(app, "replay", "--all")
    assert deliver(client, "checkouts/create", poisoned_checkout(harness.clock)).status_code == 200
    harness.drain()
    for _ in range(6):
        harness.advance(5 * HOUR)

    assert "nothing to replay" in again.output
    assert count(app, Enrollment) == 1
    templates = sorted(m.template for m in rows(app, Message, channel="email", status="sent"))
    assert templates == ["abandoned_checkout_1", "abandoned_checkout_2"]


def test_replaying_an_event_that_is_not_quarantined_says_so(app, client, harness, shop):
    assert (
        deliver(
            client, "checkouts/create", shopper_checkout(harness.clock, "t", "a@example.com", 1)
        ).status_code
        == 200
    )
    harness.drain()

    result = cli(app, "replay", str(the_event(app).id))

    assert result.exit_code != 0
    assert f"event {the_event(app).id} is not quarantined (processed)" in result.output


# --- a payload the normalizer rejects ---------------------------------------------------------------


def test_a_rejected_payload_is_set_aside_at_once_with_its_reason_and_listed(app, client, harness, shop):
    payload = shopper_checkout(harness.clock, "t", "a@example.com", 1, updated_at=20260101)
    assert deliver(client, "checkouts/create", payload).status_code == 200
    harness.drain()
    harness.advance(HOUR)

    event = the_event(app)
    assert (event.status, event.attempts) == ("rejected", 1)  # not retried: it can only fail again
    assert event.error == "payload rejected: updated_at must be a string"
    assert (
        f"{event.id} shopify demo-shop.myshopify.com checkouts/create rejected"
        in cli(app, "quarantined").output
    )


def test_a_replayed_rejection_is_tried_once_more(app, client, harness, shop):
    payload = shopper_checkout(harness.clock, "t", "a@example.com", 1, updated_at=20260101)
    deliver(client, "checkouts/create", payload)
    harness.drain()
    harness.clock.advance(HOUR)

    result = cli(app, "replay", str(the_event(app).id))
    harness.drain()

    assert "replayed 1 event(s)" in result.output
    event = the_event(app)
    assert (event.status, event.processed_at) == ("rejected", harness.clock.now())
