"""Read a birthday however a platform stores it (``1990-05-17``, ``--05-17``, ``05-17``) as ``MM-DD``."""

from __future__ import annotations

import re
from datetime import date

_DATE = re.compile(r"(?:(\d{4})-|--)?(\d{2})-(\d{2})(?:T.*)?")
# A year with a 29 February, for birthdays given without a year.
LEAP_YEAR = 2024


def birthday_of(value: str | None) -> str | None:
    """Return the month and day of a birthday, or None when the value is not a real date."""
    if not value:
        return None
    match = _DATE.fullmatch(value.strip())
    if match is None:
        return None
    year = int(match.group(1)) if match.group(1) else LEAP_YEAR
    month, day = int(match.group(2)), int(match.group(3))
    try:
        date(year, month, day)
    except ValueError:
        return None
    return f"{month:02d}-{day:02d}"
