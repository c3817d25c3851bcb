"""A 3-variant A/B test on an SMS step, end to end: real checkout webhooks, the worker's steps, the
outbox, shoppers' clicks on the tracked links, a winner declared once the data passes the rule, and
every later shopper sent the winner."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.db import db
from app.db.models import FlowSetting, Message
from app.db.models.decisions import Decision
from flows.ab import TESTS_KEY
from tests.support.links import tracked_links
from tests.support.stores import Line, ShopifyStore, Shopper

SMS_STEP = "sms"
TEST = {
    "variants": [
        {"name": "A", "share": 34},
        {"name": "B", "share": 33, "content": True},
        {"name": "C", "share": 33, "delay_minutes": 30},
    ],
    "metric": "clicks",
    "minimum_sample": 4,
    "threshold": 95,
}
FIRST_EMAIL_DELAY = timedelta(hours=1)
SMS_DELAY = timedelta(hours=3)
LONGEST_VARIANT_DELAY = timedelta(minutes=30)


@pytest.fixture
def store(client, harness, factory):
    shop = ShopifyStore(client, harness).shop(factory)
    factory.enable(shop, "abandoned_checkout", abandoned_checkout={TESTS_KEY: {SMS_STEP: TEST}})
    return ShopifyStore(client, harness)


def abandon(store: ShopifyStore, first: int, count: int) -> None:
    for n in range(first, first + count):
        shopper = Shopper(f"shopper{n}@example.com", f"Shopper{n}", str(7000 + n))
        store.checkout(
            shopper,
            f"token-{n}",
            [Line("632910393", "808950811", "Linen shirt", "58.00")],
            {
                "buyer_accepts_sms_marketing": True,
                "sms_marketing_phone": f"+1613555{n:04d}",
                "id": 90_000 + n,
            },
        )


def reach_the_sms(harness) -> None:
    harness.advance(FIRST_EMAIL_DELAY)
    harness.advance(SMS_DELAY)


def sms_messages(app) -> list[Message]:
    with app.app_context():
        rows = list(db.session.scalars(select(Message).where(Message.channel == "sms").order_by(Message.id)))
        db.session.expunge_all()
        return rows


def click(client, message: Message) -> None:
    (link,) = tracked_links(message.body_text or "")
    assert client.get(urlsplit(link).path).status_code == 302


def test_a_three_variant_sms_test_picks_its_winner_and_sends_it_to_every_later_shopper(
    app, client, harness, store
):
    abandon(store, 0, 24)
    reach_the_sms(harness)
    harness.advance(LONGEST_VARIANT_DELAY)
    first = sms_messages(app)
    sides = {variant: [m for m in first if m.variant == variant] for variant in "ABC"}
    assert all(m.status == "sent" for m in first)
    assert all(len(sides[variant]) >= 4 for variant in "ABC"), {v: len(ms) for v, ms in sides.items()}
    assert {m.template for m in sides["B"]} == {"abandoned_checkout_sms~b"}
    assert {m.template for m in sides["A"] + sides["C"]} == {"abandoned_checkout_sms"}

    for message in sides["B"]:
        click(client, message)
    harness.advance(timedelta(minutes=1))  # the calendar tick applies the rule

    with app.app_context():
        (setting,) = db.session.scalars(select(FlowSetting)).all()
        decided = setting.overrides[TESTS_KEY][SMS_STEP]
    assert decided["winner"] == "B"
    assert decided["reason"].startswith("B has ")
    assert decided["decided_at"]

    abandon(store, 100, 12)
    reach_the_sms(harness)
    later = [m for m in sms_messages(app) if m.id not in {m.id for m in first}]
    assert len(later) == 12
    assert {(m.variant, m.template, m.status) for m in later} == {("B", "abandoned_checkout_sms~b", "sent")}
    with app.app_context():
        logged = db.session.scalars(select(Decision).where(Decision.message_id == later[0].id)).all()
    sent_decision = next(d for d in logged if d.outcome == "sent")
    assert sent_decision.facts["variant"] == "B"
    assert sent_decision.facts["ab_test"].startswith("winner B chosen")


def test_a_variant_with_an_extra_delay_waits_that_long_after_its_step(app, harness, store):
    abandon(store, 0, 12)
    reach_the_sms(harness)

    on_time = sms_messages(app)
    assert {m.variant for m in on_time if m.status == "sent"} <= {"A", "B"}
    assert any(m.variant == "C" and m.status == "pending" for m in on_time)

    harness.advance(LONGEST_VARIANT_DELAY)

    assert all(m.status == "sent" for m in sms_messages(app))
