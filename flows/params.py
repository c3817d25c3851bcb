"""Check and read a flow's parameters: thresholds, switches, links and one-entry-a-line lists.

``clean`` turns what a merchant typed into the value stored in ``FlowSetting.overrides["params"]``,
or raises ParamError saying what to type instead; ``display`` turns a stored value back into the
text the admin form shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from app.core.errors import StoreflowError
from flows.definitions import Param, ParamKind

MAX_TEXT = 500
MAX_LINES = 200


class ParamError(StoreflowError, ValueError):
    """A parameter's value was refused; the message names the setting and what is expected."""


def clean(param: Param, raw: Any) -> Any:
    """Return the value to store for this parameter, or raise ParamError."""
    try:
        return _CLEANERS[param.kind](param, raw)
    except ParamError as exc:
        raise ParamError(f"{param.label}: {exc}") from None


def restore(param: Param, stored: Any) -> Any:
    """Check a stored value again (its shape may predate a change) and return it, or raise ParamError."""
    if param.kind == ParamKind.LINES:
        return clean(param, display(param, stored))
    return clean(param, stored)


def display(param: Param, value: Any) -> str:
    """Return a stored value as the admin form shows it."""
    if param.kind == ParamKind.LINES and param.entries is not None:
        return "\n".join(_FORMATTERS[param.entries](value))
    if param.kind == ParamKind.SWITCH:
        return "on" if value else ""
    return "" if value is None else str(value)


def _number(param: Param, raw: Any) -> int:
    text = str(raw).strip()
    if not re.fullmatch(r"-?\d+", text):
        raise ParamError(f"{text!r} is not a whole number")
    value = int(text)
    if not param.minimum <= value <= param.maximum:
        raise ParamError(f"must be between {param.minimum} and {param.maximum}")
    return value


def _amount(param: Param, raw: Any) -> str:
    text = str(raw).strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ParamError(f"{text!r} is not an amount") from None
    if not value.is_finite() or not param.minimum <= value <= param.maximum:
        raise ParamError(f"must be an amount between {param.minimum} and {param.maximum}")
    return str(value.quantize(Decimal("0.01")))


def _switch(param: Param, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text not in {"on", "off", "", "true", "false"}:
        raise ParamError("must be switched on or off")
    return text in {"on", "true"}


def _choice(param: Param, raw: Any) -> str:
    text = str(raw).strip()
    allowed = [value for value, _ in param.choices]
    if text not in allowed:
        raise ParamError(f"choose one of {', '.join(allowed)}")
    return text


def _text(param: Param, raw: Any) -> str:
    text = " ".join(str(raw).split())
    if len(text) > MAX_TEXT:
        raise ParamError(f"at most {MAX_TEXT} characters")
    return text


def _url(param: Param, raw: Any) -> str:
    text = str(raw).strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc or len(text) > 2048:
        raise ParamError(f"{text!r} is not a web link (it starts with https://)")
    return text


def _lines(param: Param, raw: Any) -> Any:
    assert param.entries is not None
    if not isinstance(raw, str):
        raise ParamError("must be text, one entry a line")
    lines = [line.strip() for line in raw.replace("\r\n", "\n").split("\n") if line.strip()]
    if len(lines) > MAX_LINES:
        raise ParamError(f"at most {MAX_LINES} lines")
    parse = _PARSERS[param.entries]
    return parse(lines)


def _product_days(lines: list[str]) -> dict[str, int]:
    """Read ``PRODUCT_ID: DAYS`` lines (how long a consumable lasts)."""
    days: dict[str, int] = {}
    for n, line in enumerate(lines, 1):
        key, sep, value = line.rpartition(":")
        if not sep or not key.strip() or not value.strip().isdigit():
            raise ParamError(f"line {n}: write a product id, a colon and the days, e.g. 632910392: 30")
        count = int(value)
        if not 1 <= count <= 365:
            raise ParamError(f"line {n}: days must be between 1 and 365")
        days[key.strip()] = count
    return days


def _tips(lines: list[str]) -> list[dict[str, str]]:
    """Read ``product ID: text`` and ``collection NAME: text`` lines."""
    tips = []
    for n, line in enumerate(lines, 1):
        match = re.fullmatch(r"(product|collection)\s+([^:]+):\s*(.+)", line, re.IGNORECASE)
        if match is None:
            raise ParamError(
                f"line {n}: start with 'product ID:' or 'collection NAME:' then the tip, "
                "e.g. product 632910392: Charge it fully before first use."
            )
        tips.append({"match": match.group(1).lower(), "key": match.group(2).strip(), "text": match.group(3)})
    return tips


def _dates(lines: list[str]) -> list[dict[str, str]]:
    """Read ``MM-DD: name`` lines (a yearly date and what it is)."""
    dates = []
    for n, line in enumerate(lines, 1):
        match = re.fullmatch(r"(\d{2})-(\d{2})\s*:\s*(.+)", line)
        if match is None:
            raise ParamError(f"line {n}: write the month-day, a colon and a name, e.g. 12-24: Christmas Eve")
        month, day = int(match.group(1)), int(match.group(2))
        try:
            date(2024, month, day)  # a leap year, so 02-29 is a real date
        except ValueError:
            day_text = f"{match.group(1)}-{match.group(2)}"
            raise ParamError(f"line {n}: {day_text} is not a day of the year") from None
        dates.append({"date": f"{month:02d}-{day:02d}", "name": match.group(3).strip()[:100]})
    return dates


_CLEANERS: dict[ParamKind, Callable[[Param, Any], Any]] = {
    ParamKind.NUMBER: _number,
    ParamKind.AMOUNT: _amount,
    ParamKind.SWITCH: _switch,
    ParamKind.CHOICE: _choice,
    ParamKind.TEXT: _text,
    ParamKind.URL: _url,
    ParamKind.LINES: _lines,
}
_PARSERS: dict[str, Callable[[list[str]], Any]] = {
    "product_days": _product_days,
    "tips": _tips,
    "dates": _dates,
}
_FORMATTERS: dict[str, Callable[[Any], list[str]]] = {
    "product_days": lambda value: [f"{key}: {days}" for key, days in (value or {}).items()],
    "tips": lambda value: [f"{tip['match']} {tip['key']}: {tip['text']}" for tip in value or []],
    "dates": lambda value: [f"{entry['date']}: {entry['name']}" for entry in value or []],
}
