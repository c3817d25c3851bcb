"""The figures on a flow's journey: who entered, who waits where, what each message sent and earned,
and whom a condition skipped, for the chosen days in the shop's time zone, in a fixed few queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.db import db
from app.db.models import Message, Order
from app.db.models.decisions import SKIPPED
from app.db.models.feedback import SENDGRID
from app.messaging.feedback import record_feedback
from app.reports.attribution import DEFAULT_WINDOWS, attribute_order
from app.reports.journey import journey_figures
from app.reports.queries import shop_report
from flows.decisions import record_decision
from tests.support.db import watching_statements
from tests.support.messages import sent_message
from webhooks.feedback import Feedback

FLOW = "abandoned_checkout"
# Noon in New York on 26 November 2026 is 17:00 UTC; the shop's day ends at 05:00 UTC the next day.
NOON = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
DAY = date(2026, 11, 26)


@pytest.fixture
def shop(factory):
    return factory.shop(timezone="America/New_York")


@pytest.fixture
def shoppers(factory, shop):
    return [factory.contact(shop, email=f"shopper{n}@example.com") for n in range(4)]


def figures(shop, start=DAY, end=DAY, flow_key=FLOW):
    report = shop_report(shop.id, start, end)
    return journey_figures(db.session(), shop.id, shop.timezone, flow_key, start, end, report.per_step)


def events(message: Message, *kinds_at: tuple[str, datetime]) -> None:
    record_feedback(
        db.session(),
        [Feedback(message.id, kind, SENDGRID, f"{message.id}-{kind}-{at}", at) for kind, at in kinds_at],
    )
    db.session.commit()


def ordered(shop, contact, at, total: str, platform_id: str) -> None:
    order = Order(
        shop_id=shop.id,
        platform_id=platform_id,
        contact_id=contact.id,
        total_price=Decimal(total),
        currency="USD",
        placed_at=at,
    )
    db.session.add(order)
    db.session.flush()
    attribute_order(db.session(), order, DEFAULT_WINDOWS, at)
    db.session.commit()


def test_entered_counts_the_enrollments_started_in_the_period(factory, shop, shoppers):
    for contact in shoppers[:3]:
        factory.enrollment(shop, contact, FLOW, started_at=NOON)
    factory.enrollment(shop, shoppers[3], FLOW, started_at=NOON - timedelta(days=1))
    factory.enrollment(shop, shoppers[0], "abandoned_cart", started_at=NOON)

    assert figures(shop).entered == 3


def test_the_period_is_the_shops_days_not_utcs(factory, shop, shoppers):
    # 03:00 UTC on the 27th is still the 26th in New York.
    factory.enrollment(shop, shoppers[0], FLOW, started_at=datetime(2026, 11, 27, 3, 0, tzinfo=UTC))

    assert figures(shop).entered == 1
    assert figures(shop, DAY + timedelta(days=1), DAY + timedelta(days=1)).entered == 0


def test_waiting_counts_the_active_enrollments_by_their_next_step_whatever_the_period(
    factory, shop, shoppers
):
    factory.enrollment(shop, shoppers[0], FLOW, step_index=1, started_at=NOON - timedelta(days=60))
    factory.enrollment(shop, shoppers[1], FLOW, step_index=1)
    factory.enrollment(shop, shoppers[2], FLOW, step_index=3)
    factory.enrollment(shop, shoppers[3], FLOW, step_index=3, state="exited")

    found = figures(shop)

    assert (found.step(1).waiting, found.step(3).waiting, found.step(5).waiting) == (2, 1, 0)


def test_completed_counts_the_enrollments_that_reached_the_end_in_the_period(factory, shop, shoppers):
    factory.enrollment(shop, shoppers[0], FLOW, state="completed", ended_at=NOON)
    factory.enrollment(shop, shoppers[1], FLOW, state="completed", ended_at=NOON + timedelta(days=2))
    factory.enrollment(shop, shoppers[2], FLOW, state="exited", ended_at=NOON)

    assert figures(shop).completed == 1


def test_each_message_step_shows_what_it_sent_and_what_came_of_it(shop, shoppers):
    first = sent_message(db.session, shop, shoppers[0], NOON, step_index=1)
    other = sent_message(db.session, shop, shoppers[1], NOON, step_index=1)
    last = sent_message(db.session, shop, shoppers[2], NOON, step_index=5)
    events(first, ("delivered", NOON), ("opened", NOON), ("opened", NOON), ("clicked", NOON))
    events(other, ("delivered", NOON))
    events(last, ("delivered", NOON), ("opened", NOON))

    found = figures(shop)

    step = found.step(1).totals
    assert (step.sent, step.delivered, step.opened, step.clicked) == (2, 2, 1, 1)
    step = found.step(5).totals
    assert (step.sent, step.delivered, step.opened, step.clicked) == (1, 1, 1, 0)


def test_a_step_converts_the_orders_credited_to_its_messages_with_their_revenue(shop, shoppers):
    clicked = sent_message(db.session, shop, shoppers[0], NOON, step_index=1)
    events(clicked, ("clicked", NOON + timedelta(minutes=5)))
    ordered(shop, shoppers[0], NOON + timedelta(hours=1), "120.50", "1")
    ordered(shop, shoppers[0], NOON + timedelta(hours=2), "30.00", "2")
    ordered(shop, shoppers[1], NOON + timedelta(hours=2), "99.00", "3")  # never messaged: no credit

    step = figures(shop).step(1).totals

    assert (step.converted, step.revenue) == (2, Decimal("150.50"))


def test_a_step_adds_up_its_channels_and_variants(shop, shoppers):
    sent_message(db.session, shop, shoppers[0], NOON, step_index=1, variant="a")
    sent_message(db.session, shop, shoppers[1], NOON, step_index=1, variant="b")

    assert figures(shop).step(1).totals.sent == 2


def test_messages_outside_the_period_are_not_counted(shop, shoppers):
    sent_message(db.session, shop, shoppers[0], NOON - timedelta(days=1), step_index=1)

    assert figures(shop).step(1).totals.sent == 0
    assert figures(shop, DAY - timedelta(days=1), DAY).step(1).totals.sent == 1


def test_skipped_counts_the_shoppers_a_steps_condition_turned_away(factory, shop, shoppers):
    for contact in shoppers[:2]:
        enrollment = factory.enrollment(shop, contact, FLOW)
        record_decision(db.session(), enrollment, 3, SKIPPED, "condition not met: cart_value > 100", NOON)
    other = factory.enrollment(shop, shoppers[2], FLOW)
    record_decision(db.session(), other, 3, SKIPPED, "step switched off", NOON)
    record_decision(db.session(), other, 3, SKIPPED, "condition not met: x", NOON - timedelta(days=2))
    db.session.commit()

    assert figures(shop).step(3).skipped == 2


def test_another_flows_and_another_shops_figures_stay_out(factory, shop, shoppers):
    stranger = factory.shop(domain="beta-shop.myshopify.com", timezone="America/New_York")
    outsider = factory.contact(stranger, email="x@example.com")
    factory.enrollment(stranger, outsider, FLOW, started_at=NOON, step_index=1)
    sent_message(db.session, stranger, outsider, NOON, step_index=1)
    factory.enrollment(shop, shoppers[0], "abandoned_cart", started_at=NOON, step_index=1)

    found = figures(shop)

    assert (found.entered, found.step(1).waiting, found.step(1).totals.sent) == (0, 0, 0)


def test_the_figures_take_three_statements_however_many_shoppers(app, factory, shop):
    def statements() -> int:
        report = shop_report(shop.id, DAY, DAY)
        with watching_statements(app) as sent:
            journey_figures(db.session(), shop.id, shop.timezone, FLOW, DAY, DAY, report.per_step)
        return len(sent.statements)

    few = statements()
    for n in range(30):
        contact = factory.contact(shop, email=f"many{n}@example.com")
        enrollment = factory.enrollment(shop, contact, FLOW, started_at=NOON, step_index=n % 7)
        record_decision(db.session(), enrollment, 3, SKIPPED, "condition not met: cart_value > 100", NOON)
        sent_message(db.session, shop, contact, NOON, step_index=1)

    assert few == statements() == 3
