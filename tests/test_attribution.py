"""Revenue attribution: an order is credited to the last message the shopper clicked within the window
(opens optional, with their own window), once, whatever the webhooks repeat."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.db import db
from app.db.models import Attribution, Message
from app.db.models.feedback import SENDGRID
from app.messaging.feedback import record_feedback
from tests.support.db import count, rows
from tests.support.messages import sent_message
from tests.support.samples import sample
from tests.support.shopify import deliver
from webhooks.feedback import Feedback

EMAIL = "jon@example.com"
DAY = timedelta(days=1)


@pytest.fixture
def people(factory):
    shop = factory.shop()
    return shop, factory.contact(shop, email=EMAIL)


def message(clock, people, sent_ago: timedelta, **fields) -> Message:
    shop, contact = people
    return sent_message(db.session, shop, contact, clock.now() - sent_ago, **fields)


def touch(app, message: Message, kind: str, at) -> None:
    """Record a provider event on the message, as the webhooks would."""
    with app.app_context():
        record_feedback(db.session(), [Feedback(message.id, kind, SENDGRID, f"{kind}-{message.id}-{at}", at)])
        db.session.commit()


def place_order(client, harness, topic: str = "orders/create", order_id: int = 5001, **changes) -> None:
    payload = sample("shopify", "orders_paid__shopifydocs-2026-04")
    now = harness.clock.now().isoformat()
    payload.update(
        id=order_id, email=EMAIL, contact_email=EMAIL, cancelled_at=None, created_at=now, updated_at=now
    )
    payload["customer"]["email"] = EMAIL
    payload.update(changes)
    assert deliver(client, topic, payload).status_code == 200
    harness.drain()


def credits(app) -> list[tuple[str, int, str, str, Decimal]]:
    return [(a.flow_key, a.step_index, a.channel, a.touch, a.revenue) for a in rows(app, Attribution)]


def test_an_order_within_five_days_of_a_click_is_credited_to_that_message(
    app, client, harness, clock, people
):
    # given a reminder clicked four days ago
    reminder = message(clock, people, 4 * DAY, flow_key="abandoned_checkout", step_index=1)
    touch(app, reminder, "clicked", clock.now() - 4 * DAY + timedelta(hours=1))

    # when the shopper orders
    place_order(client, harness)

    # then
    assert credits(app) == [("abandoned_checkout", 1, "email", "click", Decimal("404.95"))]
    (credit,) = rows(app, Attribution)
    assert credit.message_id == reminder.id
    assert credit.currency == "USD"


def test_an_order_after_the_window_is_not_credited(app, client, harness, clock, people):
    reminder = message(clock, people, 6 * DAY)
    touch(app, reminder, "clicked", clock.now() - 5 * DAY - timedelta(minutes=1))

    place_order(client, harness)

    assert credits(app) == []


def test_a_click_after_the_order_earns_nothing(app, client, harness, clock, people):
    reminder = message(clock, people, DAY)
    place_order(client, harness, created_at=(clock.now() - timedelta(hours=2)).isoformat())
    touch(app, reminder, "clicked", clock.now() - timedelta(hours=1))

    place_order(client, harness, topic="orders/paid")

    assert credits(app) == []


def test_the_most_recent_click_wins(app, client, harness, clock, people):
    first = message(clock, people, 3 * DAY, flow_key="abandoned_checkout", step_index=1)
    second = message(clock, people, 2 * DAY, flow_key="review_request", step_index=1)
    touch(app, first, "clicked", clock.now() - timedelta(hours=5))
    touch(app, second, "clicked", clock.now() - timedelta(hours=30))

    place_order(client, harness)

    assert [a.message_id for a in rows(app, Attribution)] == [first.id]


def test_an_order_is_credited_once_however_often_it_is_delivered(app, client, harness, clock, people):
    reminder = message(clock, people, DAY)
    touch(app, reminder, "clicked", clock.now() - timedelta(hours=3))

    place_order(client, harness, topic="orders/create")
    place_order(client, harness, topic="orders/create")
    place_order(client, harness, topic="orders/paid")

    assert count(app, Attribution) == 1


def test_another_message_clicked_later_does_not_take_an_earned_credit(app, client, harness, clock, people):
    first = message(clock, people, DAY, step_index=1)
    touch(app, first, "clicked", clock.now() - timedelta(hours=3))
    place_order(client, harness)
    second = message(clock, people, timedelta(hours=1), step_index=5)
    touch(app, second, "clicked", clock.now())

    place_order(client, harness, topic="orders/paid")

    assert [a.message_id for a in rows(app, Attribution)] == [first.id]


def test_an_open_earns_nothing_by_default(app, client, harness, clock, people):
    reminder = message(clock, people, DAY)
    touch(app, reminder, "opened", clock.now() - timedelta(hours=3))

    place_order(client, harness)

    assert credits(app) == []


@pytest.mark.parametrize("config_changes", [{"attribution_open_window_hours": 24.0}])
def test_with_an_open_window_an_open_earns_the_credit_when_nothing_was_clicked(
    app, client, harness, clock, people
):
    reminder = message(clock, people, DAY)
    touch(app, reminder, "opened", clock.now() - timedelta(hours=3))

    place_order(client, harness)

    assert credits(app) == [("abandoned_checkout", 1, "email", "open", Decimal("404.95"))]


@pytest.mark.parametrize("config_changes", [{"attribution_open_window_hours": 24.0}])
def test_a_click_beats_a_more_recent_open(app, client, harness, clock, people):
    clicked = message(clock, people, 2 * DAY, step_index=1)
    opened = message(clock, people, DAY, step_index=5)
    touch(app, clicked, "clicked", clock.now() - 2 * DAY + timedelta(hours=1))
    touch(app, opened, "opened", clock.now() - timedelta(hours=1))

    place_order(client, harness)

    assert [a.message_id for a in rows(app, Attribution)] == [clicked.id]


@pytest.mark.parametrize("config_changes", [{"attribution_click_window_hours": 1.0}])
def test_the_click_window_is_a_setting(app, client, harness, clock, people):
    reminder = message(clock, people, DAY)
    touch(app, reminder, "clicked", clock.now() - timedelta(hours=2))

    place_order(client, harness)

    assert credits(app) == []


def test_another_shoppers_click_earns_nothing(app, client, harness, clock, factory, people):
    shop, _ = people
    someone_else = factory.contact(shop, email="other@example.com")
    reminder = sent_message(db.session, shop, someone_else, clock.now() - DAY)
    touch(app, reminder, "clicked", clock.now() - timedelta(hours=3))

    place_order(client, harness)

    assert credits(app) == []


def test_an_sms_click_is_credited_to_the_sms_step(app, client, harness, clock, factory, people):
    reminder = message(clock, people, DAY, channel="sms", step_index=3, template="abandoned_checkout_sms")
    touch(app, reminder, "clicked", clock.now() - timedelta(hours=3))

    place_order(client, harness)

    assert credits(app) == [("abandoned_checkout", 3, "sms", "click", Decimal("404.95"))]
