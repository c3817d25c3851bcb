"""Reading one field of merchant input: text made storable and bounded, colours, links, choices.

Each reader appends a ``Problem`` instead of raising, so a form shows every error at once; what
it returns is always safe to render (escaped later by the templates, but never a ``javascript:``
link nor a colour that could close a CSS declaration).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from app.core.text import storable
from app.design.errors import Problem

HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
MAX_URL = 2000
# Control characters other than newline and tab have no business in a message and confuse clients.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class FieldReader:
    """Read the fields of one object (the brand kit, the message, or one block)."""

    def __init__(self, data: Any, problems: list[Problem], block: int | None = None) -> None:
        self.data = data if isinstance(data, dict) else {}
        self.problems = problems
        self.block = block

    def refuse(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message, self.block))

    def text(self, field: str, limit: int, required: bool = False) -> str:
        value = self.data.get(field)
        if value is None or value == "":
            if required:
                self.refuse(field, "is required")
            return ""
        if not isinstance(value, str):
            self.refuse(field, "must be text")
            return ""
        cleaned = _CONTROL.sub("", storable(value)).replace("\r\n", "\n").strip()
        if len(cleaned) > limit:
            self.refuse(field, f"is longer than {limit:,} characters")
            return cleaned[:limit]
        if required and not cleaned:
            self.refuse(field, "is required")
        return cleaned

    def colour(self, field: str, default: str) -> str:
        value = self.data.get(field)
        if value is None or value == "":
            return default
        if not isinstance(value, str) or not HEX_COLOUR.fullmatch(value.strip()):
            self.refuse(field, "must be a colour like #1a2b3c")
            return default
        return value.strip().lower()

    def link(self, field: str, required: bool = False) -> str:
        """An http(s) address; anything else (``javascript:``, ``data:``, a relative path) is refused."""
        value = self.text(field, MAX_URL, required)
        if not value:
            return ""
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in value:
            self.refuse(field, "must be a web address starting with https://")
            return ""
        return value

    def choice(self, field: str, choices: tuple[str, ...], default: str) -> str:
        value = self.data.get(field)
        if value is None or value == "":
            return default
        if value not in choices:
            self.refuse(field, f"must be one of {', '.join(choices)}")
            return default
        return str(value)

    def number(self, field: str, low: int, high: int, default: int) -> int:
        value = self.data.get(field)
        if value is None or value == "":
            return default
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.refuse(field, f"must be a whole number from {low} to {high}")
            return default
        return value

    def flag(self, field: str, default: bool) -> bool:
        value = self.data.get(field)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.refuse(field, "must be true or false")
            return default
        return value
