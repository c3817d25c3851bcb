"""The winner job: a test's figures since it started decide it, on its own gates; a catalogue
step's preconfigured test is decided like a merchant's and stored with its winner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.db import db
from app.db.models import Contact, FlowSetting, MessageEvent
from app.db.models.messaging import CLICKED
from app.reports.ab_tests import decide_winners
from flows.ab import TESTS_KEY
from tests.support.messages import sent_message

DISCOUNT_STEP_INDEX = 3  # welcome series: wait, welcome email, wait, discount email
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def sends(shop, variant: str, count: int, clicked: int) -> None:
    contact = Contact(shop_id=shop.id, email=f"{variant}@example.com")
    db.session.add(contact)
    db.session.flush()
    for n in range(count):
        message = sent_message(
            db.session,
            shop,
            contact,
            NOW - timedelta(days=1),
            "welcome_series",
            DISCOUNT_STEP_INDEX,
            variant=variant,
        )
        if n < clicked:
            db.session.add(
                MessageEvent(
                    shop_id=shop.id,
                    message_id=message.id,
                    kind=CLICKED,
                    provider="storeflow",
                    provider_event_id=f"click-{message.id}",
                    occurred_at=NOW - timedelta(hours=1),
                )
            )
    db.session.commit()


def stored_test(shop) -> dict | None:
    setting = db.session.query(FlowSetting).filter_by(shop_id=shop.id, flow_key="welcome_series").one()
    return (setting.overrides.get(TESTS_KEY) or {}).get("discount_email")


def test_the_preconfigured_welcome_test_is_decided_and_stored_with_when_and_why(app, factory):
    shop = factory.shop()
    factory.enable(shop, "welcome_series")
    with app.app_context():
        sends(shop, "A", 100, 5)
        sends(shop, "B", 100, 20)

        assert decide_winners(db.session, NOW) == 1
        db.session.commit()
        decided = stored_test(shop)

    assert decided["winner"] == "B"
    assert decided["decided_at"] == NOW.isoformat()
    assert decided["reason"].startswith("B has 99.")
    assert [v["share"] for v in decided["variants"]] == [50, 50]


def test_no_winner_while_a_variant_is_short_of_its_minimum_sample(app, factory):
    shop = factory.shop()
    factory.enable(shop, "welcome_series")
    with app.app_context():
        sends(shop, "A", 100, 0)
        sends(shop, "B", 99, 60)

        assert decide_winners(db.session, NOW) == 0
        assert stored_test(shop) is None
