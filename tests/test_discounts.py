"""Unique discount codes: one per enrollment, stored before the platform is asked, never made twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db import db
from app.db.models import DiscountCode, Enrollment
from tests.support.db import rows
from tests.support.outbox import bodies
from tests.support.saleor import ALLOWLIST
from tests.support.stores import Shopper

DAY = timedelta(days=1)
ANN = Shopper("ann@example.com", "Ann", "1001")


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


def lose_the_answer_then_send(app, store, factory, harness, api_for):
    """The welcome series stored Ann's code and reached the platform, but the answer was lost;
    then the discount email comes due. Returns the fake platform API."""
    shop = store.shop(factory)
    factory.enable(shop, "welcome_series", welcome_series={"ab": {"discount_email": 0}})
    api = api_for(shop)
    start = harness.clock.now()
    store.subscribe(ANN)
    (enrollment,) = rows(app, Enrollment)
    with app.app_context():
        db.session.add(
            DiscountCode(
                shop_id=shop.id,
                enrollment_id=enrollment.id,
                contact_id=enrollment.contact_id,
                flow_key="welcome_series",
                code="SF-LOSTANSWER",
                percent=10,
                expires_at=start + 14 * DAY,
                attempts=1,
            )
        )
        db.session.commit()
    api.codes.append("SF-LOSTANSWER")
    harness.advance_to(start + DAY)
    return api


def assert_the_code_was_found_and_sent(app, api):
    assert api.codes == ["SF-LOSTANSWER"]
    (code,) = rows(app, DiscountCode)
    assert (code.code, code.status, code.attempts) == ("SF-LOSTANSWER", "created", 2)
    (gift,) = bodies(app, "welcome_2")
    assert "Your code: SF-LOSTANSWER" in gift.body_text


def test_a_code_whose_creation_answer_was_lost_is_asked_for_again_not_replaced(
    app, store, factory, harness, discount_api
):
    # Saleor 3.23 answers a taken code with {"field": "codes", "code": "ALREADY_EXISTS"}, Shopify TAKEN
    api = lose_the_answer_then_send(app, store, factory, harness, discount_api)

    # the same code was asked for, the platform's "taken" counted as created, and it was sent
    assert_the_code_was_found_and_sent(app, api)


@pytest.mark.parametrize("store", ["saleor"], indirect=True)
def test_a_taken_code_reported_by_model_validation_counts_as_created_too(
    app, store, factory, harness, discount_api
):
    # Saleor reports a failed Django model unique check as UNIQUE; a taken code may come back so
    api = lose_the_answer_then_send(
        app, store, factory, harness, lambda shop: discount_api(shop, saleor_taken="UNIQUE")
    )

    assert_the_code_was_found_and_sent(app, api)


def test_without_api_access_the_email_goes_without_a_code_and_says_why(app, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "welcome_series", welcome_series={"ab": {"discount_email": 0}})
    start = harness.clock.now()

    store.subscribe(ANN)
    harness.advance_to(start + DAY)

    (gift,) = bodies(app, "welcome_2")
    assert gift.status == "sent"
    assert "Your code" not in gift.body_text
    assert gift.subject == "A welcome gift"
    notes = [entry.get("detail", "") for entry in gift.timeline]
    assert any(note.startswith("sent without a discount code:") for note in notes)
