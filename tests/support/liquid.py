"""Render the little Liquid our theme app extension's blocks use, as Shopify would, for browser tests.

No Liquid engine is among the dependencies, and the blocks need only a few things: ``assign``,
``if``/``else``/``endif`` (a value, ``!= blank``, ``== false``), ``comment`` and ``schema`` (dropped),
the ``default``, ``escape`` and ``t`` filters, and whitespace control (``{%-``, ``-%}``). Anything
else raises, so a block that grows past this subset fails its test instead of rendering wrongly::

    render(block_text, {"block": {"settings": {...}}}, translations)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from typing import Any

TOKEN = re.compile(r"({%-?.*?-?%}|{{-?.*?-?}})", re.S)
STRING = re.compile(r"^'([^']*)'$")


class UnsupportedLiquid(AssertionError):
    """The block uses Liquid beyond the subset this renderer knows."""


def render(source: str, context: dict[str, Any], translations: Mapping[str, Any]) -> str:
    """Return the block's output for ``context`` (``block.settings`` and any assigned names)."""
    source = re.sub(r"{%-?\s*schema\s*-?%}.*?{%-?\s*endschema\s*-?%}", "", source, flags=re.S)
    source = re.sub(r"{%-?\s*comment\s*-?%}.*?{%-?\s*endcomment\s*-?%}", "", source, flags=re.S)
    tokens = _trimmed(TOKEN.split(source))
    out: list[str] = []
    _run(iter(tokens), dict(context), translations, out, until=())
    return "".join(out)


def _trimmed(parts: list[str]) -> list[str]:
    """Apply whitespace control: ``{%-`` strips the text before a tag, ``-%}`` the text after it."""
    for index, part in enumerate(parts):
        if part.startswith(("{%-", "{{-")) and index > 0:
            parts[index - 1] = parts[index - 1].rstrip()
        if part.endswith(("-%}", "-}}")) and index + 1 < len(parts):
            parts[index + 1] = parts[index + 1].lstrip()
    return parts


def _run(
    tokens: Iterator[str],
    scope: dict[str, Any],
    translations: Mapping[str, Any],
    out: list[str] | None,
    until: tuple[str, ...],
) -> str:
    """Render tokens into ``out`` (None: skip them) until one of the ``until`` tags; return that tag."""
    for token in tokens:
        if token.startswith("{{"):
            if out is not None:
                out.append(str(_value(token.strip("{}-").strip(), scope, translations)))
            continue
        if not token.startswith("{%"):
            if out is not None:
                out.append(token)
            continue
        words = token.strip("{%}-").strip()
        name = words.split()[0]
        if name in until:
            return name
        if name == "assign":
            target, expression = (part.strip() for part in words.removeprefix("assign").split("=", 1))
            if out is not None:
                scope[target] = _value(expression, scope, translations)
        elif name == "if":
            taken = out is not None and _true(words.removeprefix("if").strip(), scope, translations)
            ended = _run(tokens, scope, translations, out if taken else None, until=("else", "endif"))
            if ended == "else":
                _run(tokens, scope, translations, out if out is not None and not taken else None, ("endif",))
        else:
            raise UnsupportedLiquid(f"tag {name!r} is not in the subset")
    if until:
        raise UnsupportedLiquid(f"missing {' or '.join(until)}")
    return ""


def _true(condition: str, scope: dict[str, Any], translations: Mapping[str, Any]) -> bool:
    if condition.endswith("!= blank"):
        return _value(condition.removesuffix("!= blank").strip(), scope, translations) not in (None, "", [])
    if condition.endswith("== false"):
        return _value(condition.removesuffix("== false").strip(), scope, translations) is False
    return _value(condition, scope, translations) not in (None, False)


def _value(expression: str, scope: dict[str, Any], translations: Mapping[str, Any]) -> Any:
    head, *filters = (part.strip() for part in expression.split("|"))
    literal = STRING.match(head)
    value: Any = literal.group(1) if literal else _lookup(head, scope)
    for applied in filters:
        name, _, argument = applied.partition(":")
        if name == "default":
            fallback = STRING.match(argument.strip())
            if fallback is None:
                raise UnsupportedLiquid(f"default needs a string: {applied!r}")
            value = value if value not in (None, "", False) else fallback.group(1)
        elif name == "escape":
            value = html.escape(str(value))
        elif name == "t":
            value = _translation(str(value), translations)
        else:
            raise UnsupportedLiquid(f"filter {name!r} is not in the subset")
    return value


def _lookup(path: str, scope: dict[str, Any]) -> Any:
    value: Any = scope
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _translation(key: str, translations: Mapping[str, Any]) -> str:
    value: Any = translations
    for part in key.split("."):
        value = value[part]
    if not isinstance(value, str):
        raise UnsupportedLiquid(f"translation {key!r} is not a string")
    return value
