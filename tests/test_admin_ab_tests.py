"""A/B tests in the admin: start, refuse, stop, and the per-variant figures and status on the flow page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from app.db import db
from app.db.models import Contact, FlowSetting
from flows.ab import TESTS_KEY
from tests.support.admin import log_in
from tests.support.db import rows
from tests.support.messages import sent_message

DISCOUNT_STEP_INDEX = 3  # welcome series: wait, welcome email, wait, discount email
START = {
    "share_A": "50",
    "share_B": "25",
    "subject_B": "{{ shop.name }} has a gift for you",
    "share_C": "25",
    "content_C": "on",
    "metric": "clicks",
    "minimum_sample": "200",
    "threshold": "95",
    "action": "start",
}


@pytest.fixture
def shop(factory):
    return factory.shop()


def test_a_merchant_starts_a_test_on_any_message_step(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/welcome_series/steps/welcome_email/ab", data={"csrf_token": csrf, **START}
    )

    assert response.status_code == 303
    (setting,) = rows(app, FlowSetting)
    stored = setting.overrides[TESTS_KEY]["welcome_email"]
    assert [(v["name"], v["share"], v["subject"], v["content"]) for v in stored["variants"]] == [
        ("A", 50, "", False),
        ("B", 25, "{{ shop.name }} has a gift for you", False),
        ("C", 25, "", True),
    ]
    assert (stored["metric"], stored["minimum_sample"], stored["threshold"], stored["winner"]) == (
        "clicks",
        200,
        95,
        None,
    )
    assert stored["started_at"]


def test_the_own_content_of_a_variant_gets_its_own_editor_tab(client, shop):
    csrf = log_in(client, shop.id)
    client.post("/admin/flows/welcome_series/steps/welcome_email/ab", data={"csrf_token": csrf, **START})

    page = unescape(client.get("/admin/flows/welcome_series/steps/welcome_email_c").text)

    assert "Thanks and brand story, variant C" in page


def test_shares_that_do_not_add_up_are_refused_and_nothing_is_stored(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/welcome_series/steps/welcome_email/ab",
        data={"csrf_token": csrf, **START, "share_C": "20"},
    )

    assert response.status_code == 400
    assert "The shares must add up to 100 %" in unescape(response.text)
    assert all(TESTS_KEY not in setting.overrides for setting in rows(app, FlowSetting))


def test_stopping_the_catalogue_test_sends_every_shopper_the_step_itself(app, client, shop):
    csrf = log_in(client, shop.id)

    client.post(
        "/admin/flows/welcome_series/steps/discount_email/ab", data={"csrf_token": csrf, "action": "stop"}
    )

    (setting,) = rows(app, FlowSetting)
    assert setting.overrides[TESTS_KEY] == {"discount_email": None}
    page = unescape(client.get("/admin/flows/welcome_series").text)
    assert "A/B test · " not in page
    assert "Start an A/B test" in page


def test_the_flow_page_shows_each_variants_figures_and_chance_of_being_best(app, client, shop):
    log_in(client, shop.id)
    with app.app_context():
        contact = db.session.merge(Contact(shop_id=shop.id, email="a@example.com"))
        db.session.flush()
        at = datetime.now(UTC) - timedelta(hours=1)
        for variant in "AAAB":
            sent_message(
                db.session, shop, contact, at, "welcome_series", DISCOUNT_STEP_INDEX, variant=variant
            )
        db.session.commit()

    page = unescape(client.get("/admin/flows/welcome_series").text)

    assert "A/B test · Running" in page
    assert '<th scope="row">A</th><td>50 %</td><td>3</td>' in page
    assert '<th scope="row">B</th><td>50 %</td><td>1</td>' in page
    assert "waiting for 100 sends of A, B" in page


def test_a_decided_test_says_who_won_when_and_why(app, client, shop, factory):
    decided = {
        "variants": [{"share": 50}, {"share": 50, "content": True}],
        "minimum_sample": 100,
        "threshold": 95,
        "winner": "B",
        "decided_at": "2026-03-01T12:00:00+00:00",
        "reason": "B has 97.5% chance of being best (threshold 95%)",
    }
    factory.enable(shop, "welcome_series", welcome_series={TESTS_KEY: {"discount_email": decided}})
    log_in(client, shop.id)

    page = unescape(client.get("/admin/flows/welcome_series").text)

    assert "A/B test · Winner chosen" in page
    assert "Winner chosen: B" in page
    assert "because B has 97.5% chance of being best (threshold 95%)" in page
    assert "B (winner)" in page


def test_a_subject_the_template_engine_cannot_read_is_refused(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/welcome_series/steps/welcome_email/ab",
        data={"csrf_token": csrf, **START, "subject_B": "{{ shop.name "},
    )

    assert response.status_code == 400
    assert "Variant B: the subject does not read: unexpected end of template" in unescape(response.text)
    assert all(TESTS_KEY not in setting.overrides for setting in rows(app, FlowSetting))
