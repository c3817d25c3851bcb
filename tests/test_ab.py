"""A/B assignment: stable per contact, random across contacts, in the configured shares."""

from __future__ import annotations

from flows.ab import bucket, variant_for
from flows.catalogue import get_flow

DISCOUNT_EMAIL = get_flow("welcome_series").sends()[1]


def test_a_contact_always_gets_the_same_side():
    sides = {variant_for("welcome_series", DISCOUNT_EMAIL, 42, 50).name for _ in range(20)}

    assert len(sides) == 1


def test_the_shares_follow_the_percentage():
    sides = [variant_for("welcome_series", DISCOUNT_EMAIL, contact, 30).name for contact in range(10_000)]

    assert 2800 <= sides.count("B") <= 3200


def test_zero_and_a_hundred_percent_send_one_side_only():
    assert {variant_for("welcome_series", DISCOUNT_EMAIL, c, 0).template for c in range(200)} == {"welcome_2"}
    assert {variant_for("welcome_series", DISCOUNT_EMAIL, c, 100).template for c in range(200)} == {
        "welcome_2_b"
    }


def test_each_test_shuffles_contacts_on_its_own():
    first = [bucket("welcome_series", "discount_email", c) < 50 for c in range(1000)]
    other = [bucket("win_back", "discount_email", c) < 50 for c in range(1000)]

    assert first != other


def test_a_step_without_a_test_has_no_variant():
    welcome = get_flow("welcome_series").sends()[0]

    assert variant_for("welcome_series", welcome, 42, 50) == variant_for("welcome_series", welcome, 7, 50)
    assert variant_for("welcome_series", welcome, 42, 50).name is None
