"""Holdout groups: a stable share of a flow's enrollments is sent nothing, and the reports compare
what messaged and held-out shoppers ordered, with 95 % intervals, beside last-touch attribution."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest

from app.db import db
from app.db.models import Contact, Enrollment, FlowSetting, Message, Order
from app.reports.confidence import difference_of_proportions
from flows.catalogue import get_flow
from flows.holdout import in_holdout
from flows.settings import FlowSettingsError, resolve, validate_overrides
from tests.support.admin import log_in
from tests.support.db import rows
from tests.support.stores import ShopifyStore, Shopper


def test_a_contact_is_always_on_the_same_side_of_the_holdout():
    sides = {in_holdout("welcome_series", 42, 30) for _ in range(20)}

    assert len(sides) == 1


def test_the_holdout_takes_the_configured_share_of_contacts():
    held = [in_holdout("welcome_series", contact, 20) for contact in range(10_000)]

    assert 1800 <= held.count(True) <= 2200


def test_the_holdout_shuffles_contacts_apart_from_the_ab_tests():
    from flows.ab import bucket

    held = [in_holdout("welcome_series", c, 50) for c in range(1000)]
    side_b = [bucket("welcome_series", "discount_email", c) < 50 for c in range(1000)]

    assert held != side_b


def test_no_share_holds_nobody_out():
    assert not any(in_holdout("welcome_series", c, 0) for c in range(1000))


@pytest.mark.parametrize("value", ["60", "-1", "ten", "12.5"])
def test_a_holdout_share_outside_0_to_50_is_refused_naming_the_flow(value):
    with pytest.raises(FlowSettingsError, match="Welcome series: the holdout share must be a whole percent"):
        validate_overrides(get_flow("welcome_series"), {}, {}, holdout=value)


def test_a_flow_whose_messages_shoppers_asked_for_has_no_holdout(client, factory):
    with pytest.raises(FlowSettingsError, match="Double opt-in: shoppers asked for these messages"):
        validate_overrides(get_flow("double_opt_in"), {}, {}, holdout="10")
    shop = factory.shop()
    log_in(client, shop.id)
    assert 'name="holdout"' not in client.get("/admin/flows/back_in_stock").text


def test_a_stale_stored_holdout_falls_back_to_none():
    assert resolve(get_flow("welcome_series"), True, {"holdout": 80}).holdout_percent == 0


def test_the_holdout_share_is_saved_from_the_flow_form(app, client, factory):
    shop = factory.shop()
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/welcome_series",
        data={"csrf_token": csrf, "enabled": "on", "confirmed": "yes", "holdout": "20"},
    )

    assert response.status_code == 303
    (setting,) = rows(app, FlowSetting)
    assert setting.overrides["holdout"] == 20
    assert (
        'name="holdout" min="0" max="50" step="1" value="20"'
        in client.get("/admin/flows/welcome_series").text
    )


def test_held_out_shoppers_are_enrolled_and_sent_nothing(app, client, factory, harness):
    # given a welcome series holding out half its enrollments
    store = ShopifyStore(client, harness)
    shop = store.shop(factory)
    factory.enable(shop, "welcome_series", welcome_series={"holdout": 50})
    start = harness.clock.now()

    # when ten shoppers subscribe and the whole series plays out
    for n in range(10):
        store.subscribe(Shopper(f"shopper{n}@example.com", f"Shopper {n}", str(2000 + n)))
    harness.advance_to(start + timedelta(days=10))

    # then each enrollment's side is the stable assignment, and only treated contacts got messages
    enrollments = rows(app, Enrollment)
    held = {e.contact_id for e in enrollments if e.holdout}
    treated = {e.contact_id for e in enrollments if not e.holdout}
    assert len(enrollments) == 10
    assert held and treated
    assert held == {c for c in held | treated if in_holdout("welcome_series", c, 50)}
    messaged = {m.contact_id for m in rows(app, Message)}
    assert messaged == treated
    assert {(e.state, e.step_index) for e in enrollments} == {
        (e.state, e.step_index) for e in enrollments if e.holdout
    }


@pytest.fixture
def known_data(app, factory, harness):
    """Ten messaged and ten held-out welcome enrollments: 4 and 1 ordered (50.00 each) in the window."""
    shop = factory.shop()
    now = harness.clock.now()
    with app.app_context():
        for n in range(20):
            contact = Contact(shop_id=shop.id, email=f"c{n}@example.com")
            db.session.add(contact)
            db.session.flush()
            db.session.add(
                Enrollment(
                    shop_id=shop.id,
                    flow_key="welcome_series",
                    subject_key=f"contact:{contact.id}",
                    contact_id=contact.id,
                    state="completed",
                    anchor_at=now,
                    last_activity_at=now,
                    started_at=now,
                    holdout=n >= 10,
                )
            )
            converts = n < 4 or n == 10
            if converts:
                _order(shop.id, contact.id, f"in-{n}", now + timedelta(days=2))
            # Outside the comparison: an order before enrolling, and one after the 5-day window.
            if n in (5, 15):
                _order(shop.id, contact.id, f"before-{n}", now - timedelta(hours=1))
                _order(shop.id, contact.id, f"late-{n}", now + timedelta(days=6))
        db.session.commit()
    return shop


def _order(shop_id: int, contact_id: int, platform_id: str, placed_at) -> None:
    db.session.add(
        Order(
            shop_id=shop_id,
            platform_id=platform_id,
            contact_id=contact_id,
            total_price=Decimal("50.00"),
            currency="USD",
            placed_at=placed_at,
        )
    )


def test_the_report_compares_messaged_and_held_out_enrollments_with_intervals(client, known_data):
    log_in(client, known_data.id)

    report = client.get("/admin/api/reports").json

    (row,) = report["incrementality"]
    assert row["flow_key"] == "welcome_series"
    assert row["treatment"] == {
        "enrollments": 10,
        "converted": 4,
        "conversion_rate": 0.4,
        "revenue": "200.00",
        "revenue_per_enrollment": "20.00",
    }
    assert row["holdout"]["converted"] == 1
    assert row["holdout"]["revenue_per_enrollment"] == "5.00"
    assert row["conversion_lift"] == 0.3
    expected = difference_of_proportions(4, 10, 1, 10)
    assert expected is not None
    assert row["conversion_lift_ci"] == [round(expected.low, 4), round(expected.high, 4)]
    assert row["revenue_per_enrollment_lift"] == "15.00"
    low, high = row["revenue_per_enrollment_lift_ci"]
    assert low < 15 < high
    assert row["last_touch"] == {"converted": 0, "revenue": "0"}


def test_newcombes_interval_matches_his_published_examples():
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10.
    examples = {
        (56, 70, 48, 80): (0.0524, 0.3339),
        (9, 10, 3, 10): (0.1705, 0.8090),
        (5, 56, 0, 29): (-0.0381, 0.1926),
    }

    for counts, (low, high) in examples.items():
        interval = difference_of_proportions(*counts)
        assert interval is not None
        assert (round(interval.low, 4), round(interval.high, 4)) == (low, high)


def test_the_flow_page_shows_the_incremental_results(client, known_data):
    log_in(client, known_data.id)

    page = unescape(client.get("/admin/flows/welcome_series").text)

    assert "Incremental results" in page
    assert "+30.0 points (95% CI" in page
    assert "Last-touch credit" in page


def test_a_flow_without_a_holdout_has_no_incremental_figures(client, factory):
    shop = factory.shop()
    log_in(client, shop.id)

    assert client.get("/admin/api/reports").json["incrementality"] == []
