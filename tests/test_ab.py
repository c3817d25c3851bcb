"""A/B assignment: stable per contact, random across contacts, in the configured shares; the winner
takes every later shopper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.i18n import Phrase
from flows.ab import (
    ABTest,
    ABTestError,
    Variant,
    bucket,
    clean_test,
    preconfigured_test,
    step_tests,
    variant_for,
)
from flows.catalogue import get_flow

DISCOUNT_EMAIL = get_flow("welcome_series").sends()[1]
WELCOME_EMAIL = get_flow("welcome_series").sends()[0]
SMS = next(send for send in get_flow("abandoned_checkout").sends() if send.channel == "sms")


def shares(*percents: int) -> ABTest:
    names = "ABCD"
    return ABTest(
        DISCOUNT_EMAIL.setting,
        tuple(
            Variant(names[i], f"t{names[i]}", percent, subject="s" if i else "")
            for i, percent in enumerate(percents)
        ),
    )


def test_a_contact_always_gets_the_same_side():
    test = shares(50, 50)

    assert len({variant_for("welcome_series", DISCOUNT_EMAIL, 42, test).name for _ in range(20)}) == 1


@pytest.mark.parametrize("percents", [(70, 30), (34, 33, 33), (10, 20, 30, 40), (25, 25, 25, 25)])
def test_the_shares_converge_on_the_configured_percentages(percents):
    test = shares(*percents)

    sides = [variant_for("welcome_series", DISCOUNT_EMAIL, contact, test).name for contact in range(10_000)]

    for variant in test.variants:
        assert abs(sides.count(variant.name) / 10_000 - variant.share / 100) <= 0.02


def test_the_preconfigured_test_keeps_every_shopper_on_the_side_the_b_share_gave_them():
    test = preconfigured_test(DISCOUNT_EMAIL, 30)

    for contact in range(2000):
        before = "B" if bucket("welcome_series", DISCOUNT_EMAIL.setting, contact) < 30 else "A"
        assert variant_for("welcome_series", DISCOUNT_EMAIL, contact, test).name == before


def test_zero_and_a_hundred_percent_send_one_side_only():
    assert {
        variant_for("welcome_series", DISCOUNT_EMAIL, c, preconfigured_test(DISCOUNT_EMAIL, 0)).template
        for c in range(200)
    } == {"welcome_2"}
    assert {
        variant_for("welcome_series", DISCOUNT_EMAIL, c, preconfigured_test(DISCOUNT_EMAIL, 100)).template
        for c in range(200)
    } == {"welcome_2_b"}


def test_once_a_winner_is_declared_every_shopper_gets_it():
    test = shares(34, 33, 33).decided("C", datetime(2026, 1, 1, tzinfo=UTC), "C has 97% chance of being best")

    assert {variant_for("welcome_series", DISCOUNT_EMAIL, c, test).name for c in range(500)} == {"C"}


def test_each_test_shuffles_contacts_on_its_own():
    first = [bucket("welcome_series", "discount_email", c) < 50 for c in range(1000)]
    other = [bucket("win_back", "discount_email", c) < 50 for c in range(1000)]

    assert first != other


def test_a_step_without_a_test_has_no_variant():
    assert variant_for("welcome_series", WELCOME_EMAIL, 42, None) == Variant(None, "welcome_1")


def test_a_catalogue_step_with_a_b_template_ships_with_a_test_and_others_have_none():
    tests = step_tests(get_flow("welcome_series").sends(), None, {"discount_email": 30})

    assert set(tests) == {"discount_email"}
    assert [(v.name, v.template, v.share) for v in tests["discount_email"].variants] == [
        ("A", "welcome_2", 70),
        ("B", "welcome_2_b", 30),
    ]


def test_a_stopped_test_stays_stopped_even_on_a_catalogue_step():
    assert step_tests(get_flow("welcome_series").sends(), {"ab_tests": {"discount_email": None}}, {}) == {}


def test_a_stored_test_reads_back_with_its_winner():
    sms = SMS
    test = clean_test(
        sms,
        {
            "variants": [{"share": 40}, {"share": 30, "content": True}, {"share": 30, "delay_minutes": 30}],
            "metric": "orders",
            "minimum_sample": 50,
            "threshold": 95,
        },
    ).decided("B", datetime(2026, 1, 2, tzinfo=UTC), "B won")

    (read,) = step_tests((sms,), {"ab_tests": {sms.setting: test.stored()}}, {}).values()

    assert read == test
    assert read.variant("B").template == f"{sms.template}~b"
    assert read.variant("C").delay == timedelta(minutes=30)


def test_a_stored_winners_reason_reads_back_with_its_words_for_the_admins_language():
    reason = Phrase("%(best)s has %(chance)s chance of being best", best="B", chance="97.5%")
    test = clean_test(
        SMS,
        {
            "variants": [{"share": 50}, {"share": 50, "delay_minutes": 5}],
            "minimum_sample": 9,
            "threshold": 95,
        },
    )
    stored = test.decided("B", datetime(2026, 1, 2, tzinfo=UTC), reason).stored()

    (read,) = step_tests((SMS,), {"ab_tests": {SMS.setting: stored}}, {}).values()

    assert read.reason == "B has 97.5% chance of being best"
    assert isinstance(read.reason, Phrase) and read.reason.args == {"best": "B", "chance": "97.5%"}


@pytest.mark.parametrize(
    ("variants", "field"),
    [
        ([{"share": 100}], "variants"),
        ([{"share": 50}, {"share": 40, "subject": "Hi"}], "variants"),
        ([{"share": 50}, {"share": 50}], "variants"),
        ([{"share": "half"}, {"share": 50, "subject": "Hi"}], "share_A"),
        ([{"share": 50}, {"share": 50, "delay_minutes": -5}], "delay_B"),
    ],
)
def test_a_test_is_refused_with_the_field_at_fault(variants, field):
    with pytest.raises(ABTestError) as refused:
        clean_test(
            DISCOUNT_EMAIL, {"variants": variants, "metric": "clicks", "minimum_sample": 10, "threshold": 95}
        )

    assert field in refused.value.problems


def test_an_sms_variant_has_no_subject():
    sms = SMS

    with pytest.raises(ABTestError) as refused:
        clean_test(
            sms,
            {
                "variants": [{"share": 50}, {"share": 50, "subject": "Hi"}],
                "minimum_sample": 10,
                "threshold": 95,
            },
        )

    assert "subject_B" in refused.value.problems
