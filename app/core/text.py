"""What text from outside must become before PostgreSQL sees it: the one rule every door applies.

PostgreSQL stores neither a NUL nor a lone UTF-16 surrogate (in text or in JSON), so a value holding
one fails its statement on every retry. JSON bodies get this when they are decoded
(``webhooks.payload.decode_json``); headers when the inbox writes them; Twilio's form fields when
they are read. Nothing here imports the app, so the inbox can use it at import time.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """Return text PostgreSQL can store: without NUL, each lone surrogate replaced by U+FFFD.

    JSON may escape a surrogate half (``"\\udfff"``) with no partner, and JavaScript strings hold
    them after a careless slice of an emoji; Python decodes it into a str that UTF-8 cannot encode,
    and PostgreSQL's JSON refuses the escape. U+FFFD is what a UTF-8 decoder puts in its place.
    """
    if "\x00" in text:
        text = text.replace("\x00", "")
    return _LONE_SURROGATE.sub(REPLACEMENT, text)


def storable_document(value: Any) -> Any:
    """Make every string of a decoded JSON document, keys included, ``storable``."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return [storable_document(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable_document(item) for key, item in value.items()}
    return value
