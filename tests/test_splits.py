"""The condition language of conditional splits: what it reads, what it refuses, what it decides."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flows.splits import ConditionError, holds, parse, properties_in


@pytest.mark.parametrize(
    ("condition", "facts", "expected"),
    [
        ("", {}, True),
        ("order_count = 1", {"order_count": 1}, True),
        ("order_count = 1", {"order_count": 2}, False),
        ("total_spent >= 250", {"total_spent": Decimal("250.00")}, True),
        ("cart_value < 50", {"cart_value": Decimal("49.99")}, True),
        ("tags has VIP", {"tags": ["vip", "wholesale"]}, True),
        ("tags lacks vip", {"tags": ["wholesale"]}, True),
        ("country in US, CA", {"country": "ca"}, True),
        ("country in US, CA", {"country": "FR"}, False),
        ("email_consent = subscribed", {"email_consent": "subscribed"}, True),
        ("clicked_previous = yes", {"clicked_previous": False}, False),
        ("opened_previous = no", {"opened_previous": False}, True),
        ("order_count > 1 and country = US", {"order_count": 2, "country": "FR"}, False),
        ("order_count > 1 and country = US or tags has vip", {"order_count": 0, "tags": ["vip"]}, True),
        ("cart_value >= 100", {"cart_value": None}, False),
        ("country != US", {"country": None}, True),
    ],
)
def test_a_condition_decides_from_the_facts(condition, facts, expected):
    assert holds(parse(condition), facts) is expected


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("spent > 5", "unknown property 'spent'; use one of: order_count, total_spent"),
        ("country > US", "'>' does not apply to country (word); use = or != or in"),
        ("order_count = many", "order_count compares with a number, not 'many'"),
        ("order_count", "order_count needs an operator and a value, e.g. order_count >= 2"),
        ("order_count >=", "order_count >= needs a value, e.g. order_count >= 2"),
        ("order_count = 1 but country = US", "expected 'and' or 'or' before 'but'"),
        ("order_count = 1 and", "the condition ends after 'and'"),
        ("clicked_previous = maybe", "clicked_previous is yes or no, not 'maybe'"),
        ("total_spent > nan", "total_spent compares with a number, not 'nan'"),
    ],
)
def test_a_condition_that_cannot_be_right_is_refused_with_what_to_write(condition, message):
    with pytest.raises(ConditionError) as refused:
        parse(condition)

    assert message in str(refused.value)


def test_only_the_properties_a_condition_reads_are_looked_up():
    assert properties_in(parse("order_count > 1 and country = US or tags has vip")) == {
        "order_count",
        "country",
        "tags",
    }
