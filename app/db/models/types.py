"""Column types that behave the same on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# The largest id an INTEGER key holds on PostgreSQL: a bigger one from outside would fail the query.
MAX_ROW_ID = 2**31 - 1


def row_id(value: object) -> int | None:
    """Read an id that came from outside (a query string, a provider's custom argument), or None.

    Only ASCII digits within ``MAX_ROW_ID``: ``int()`` accepts "²" and signs, and PostgreSQL
    refuses an out-of-range integer with an error that would turn a hostile request into a 5xx.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ROW_ID))):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ROW_ID else None


def clamped_count(value: int) -> int:
    """Clamp a count (stock, a quantity) into what an INTEGER column holds, as PostgreSQL refuses more.

    A stock of 10^20 from outside still means "in stock"; refusing it would drop the whole event.
    """
    return max(-MAX_ROW_ID, min(value, MAX_ROW_ID))


# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")

JSONDoc = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC, hand back aware UTC: SQLite keeps no zone, and mixing the two is a bug farm."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
