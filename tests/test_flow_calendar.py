"""Date flows end to end on both platforms: birthdays in the shopper's own time zone (email and SMS),
anniversaries of the first order, and the merchant's dates, started by the calendar tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.db import db
from app.db.models import Contact, Enrollment
from app.jobs.tasks import calendar_tick
from tests.support.db import count, rows
from tests.support.outbox import bodies, sent
from tests.support.saleor import ALLOWLIST
from tests.support.stores import Line, Shopper

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# The clock starts at 12:00 UTC on 26 November 2026: 07:00 in New York.
ANN = Shopper("ann@example.com", "Ann", "1001", birthday="1990-11-26")


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


def lives_in(app, email: str, zone: str) -> None:
    """Say where the shopper lives (the sample addresses' phone numbers would otherwise decide)."""
    with app.app_context():
        contact = db.session.query(Contact).filter_by(email=email).one()
        contact.timezone = zone
        db.session.commit()


def test_a_birthday_email_goes_at_nine_in_the_morning_of_the_shoppers_own_day(app, store, factory, harness):
    shop = store.shop(factory, timezone="UTC")
    factory.enable(shop, "birthday", birthday={"params": {"discount": False}})
    start = harness.clock.now()
    store.subscribe(ANN)
    lives_in(app, ANN.email, "America/New_York")

    for hours in (1, 2, 3):  # 08:00, 09:00 and 10:00 in New York
        harness.advance_to(start + hours * HOUR)

    assert sent(app, start) == [("birthday", "email", "birthday", 2 * HOUR)]
    (email,) = bodies(app, "birthday")
    assert email.subject == "Happy birthday, Ann! A gift from " + (
        "Demo Shop" if store.platform == "shopify" else "Demo Saleor Store"
    )
    (enrollment,) = rows(app, Enrollment)
    assert enrollment.subject_key.endswith(":2026")


def test_a_repeated_tick_starts_the_birthday_once(app, store, factory, harness):
    shop = store.shop(factory, timezone="UTC")
    factory.enable(shop, "birthday", birthday={"params": {"discount": False}})
    store.subscribe(ANN)

    harness.advance(timedelta(minutes=1))
    for _ in range(3):
        harness.services.queue.enqueue(calendar_tick)
        harness.drain()

    assert count(app, Enrollment, flow_key="birthday") == 1
    assert len(sent(app, harness.clock.now())) == 1


def test_the_birthday_sms_goes_with_sms_consent_and_a_unique_code(app, store, factory, harness, discount_api):
    shop = store.shop(factory, timezone="UTC")
    factory.enable(shop, "birthday")
    api = discount_api(shop)
    start = harness.clock.now()
    store.subscribe(ANN)
    with app.app_context():
        contact = db.session.query(Contact).one()
        contact.phone, contact.sms_consent, contact.timezone = "+16135550123", "subscribed", "America/Toronto"
        db.session.commit()

    harness.advance_to(start + 2 * HOUR)

    assert sent(app, start) == [
        ("birthday", "email", "birthday", 2 * HOUR),
        ("birthday", "sms", "birthday_sms", 2 * HOUR),
    ]
    (sms,) = bodies(app, "birthday_sms")
    assert api.codes[0] in sms.body_text
    assert len(sms.body_text) <= 160


def test_no_birthday_on_other_days(app, store, factory, harness):
    shop = store.shop(factory, timezone="UTC")
    factory.enable(shop, "birthday")
    store.subscribe(Shopper("bo@example.com", "Bo", "1003", birthday="1990-11-27"))

    harness.advance(6 * HOUR)

    assert count(app, Enrollment) == 0


def test_the_anniversary_of_the_first_order(app, store, factory, harness):
    shop = store.shop(factory, timezone="UTC")
    factory.enable(shop, "order_anniversary")
    start = harness.clock.now()
    store.subscribe(ANN)
    first = datetime(2024, 11, 26, 15, 0, tzinfo=UTC)
    store.order(
        ANN,
        1001,
        [Line(store.product_id(1), store.variant_id(1), "Linen shirt", "58.00")],
        "placed",
        placed_at=first,
    )
    lives_in(app, ANN.email, "UTC")

    harness.advance(timedelta(minutes=1))

    assert sent(app, start) == [("order_anniversary", "email", "order_anniversary", timedelta(minutes=1))]
    (email,) = bodies(app, "order_anniversary")
    assert email.subject.startswith("2 years with ")


def test_a_merchant_date_emails_every_subscriber(app, store, factory, harness):
    shop = store.shop(factory, timezone="UTC")
    factory.enable(
        shop, "date_based", date_based={"params": {"dates": [{"date": "11-26", "name": "Thanksgiving sale"}]}}
    )
    start = harness.clock.now()
    store.subscribe(ANN)
    store.subscribe(Shopper("ben@example.com", "Ben", "1002"))
    for email in (ANN.email, "ben@example.com"):
        lives_in(app, email, "UTC")

    harness.advance(timedelta(minutes=1))

    assert sent(app, start) == [
        ("date_based", "email", "date_reminder", timedelta(minutes=1)),
        ("date_based", "email", "date_reminder", timedelta(minutes=1)),
    ]
    assert {m.subject for m in bodies(app, "date_reminder")} == {
        "Thanksgiving sale at " + ("Demo Shop" if store.platform == "shopify" else "Demo Saleor Store")
    }
