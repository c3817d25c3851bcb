"""The hostile values real deliveries carry, and the check that what came through them can be stored.

Each class here once crashed processing after the delivery had been acknowledged: a lone surrogate
escape (PostgreSQL text and JSON refuse it), a date at either end of ``datetime``'s range (it
overflows when converted to UTC or when a TTL is added), a count beyond a 32-bit column.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from hypothesis import strategies as st

LONE_SURROGATES = ("\udfff", "\ud83d", "Jo\udc00hn", "Shirt \ud83d")
EXTREME_DATES = (
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59Z",
)
# Shopify ids are 64-bit today; these are past any 64-bit column, as a JSON number and as a string.
BIG_IDS: tuple[int | str, ...] = (2**63, 2**64, -(2**63) - 1, str(2**64))
INT32 = 2**31

# Text of any code point, surrogates included (Hypothesis leaves category Cs out unless told).
any_text = st.text(st.characters(exclude_categories=()), max_size=40)
hostile_scalars = st.one_of(
    any_text,
    st.sampled_from(LONE_SURROGATES),
    st.sampled_from(EXTREME_DATES),
    st.sampled_from(BIG_IDS),
    st.datetimes().map(lambda moment: moment.isoformat() + "Z"),
)


def assert_storable(value: Any, where: str = "result") -> None:
    """Fail unless every string, time and count inside ``value`` can be written to PostgreSQL as is.

    Strings must encode as UTF-8 without NUL; times must be aware and a year clear of either end of
    ``datetime``'s range (so adding a TTL or a delay cannot overflow); whole numbers must fit a
    32-bit column. Walks dataclasses, tuples, lists and dicts.
    """
    if isinstance(value, str):
        assert "\x00" not in value, f"{where} holds a NUL: {value!r}"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise AssertionError(f"{where} is not storable text: {value!r}") from None
    elif isinstance(value, datetime):
        assert value.tzinfo is not None, f"{where} is naive: {value!r}"
        assert (
            datetime.min + timedelta(days=366)
            < value.replace(tzinfo=None)
            < datetime.max - timedelta(days=366)
        ), f"{where} is at the end of time: {value!r}"
    elif isinstance(value, bool | Decimal | Enum) or value is None:
        return
    elif isinstance(value, int):
        assert -INT32 <= value < INT32, f"{where} does not fit a 32-bit column: {value}"
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            assert_storable(getattr(value, field.name), f"{where}.{field.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            assert_storable(key, f"{where} key")
            assert_storable(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            assert_storable(item, f"{where}[{index}]")
