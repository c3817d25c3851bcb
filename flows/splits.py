"""Conditional splits: a small condition language over a contact's and an event's properties.

A condition is clauses joined by ``and`` and ``or`` (``and`` binds tighter), each
``<property> <operator> <value>``, e.g. ``order_count = 1``, ``total_spent >= 250 and country in US, CA``,
``tags has vip``, ``clicked_previous = yes``. Merchants write them in the admin; a condition that
does not parse, names an unknown property or compares it the wrong way is refused on save with a
message saying what to write instead, so a running enrollment only ever meets a valid one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from app.core.errors import StoreflowError


class ConditionError(StoreflowError, ValueError):
    """A condition was refused; the message says what is wrong and what would be right."""


class Kind(StrEnum):
    NUMBER = "number"
    WORD = "word"
    TAGS = "tags"
    YES_NO = "yes/no"


# Each property a condition may test, with its kind and what it means (shown in the admin).
PROPERTIES: dict[str, tuple[Kind, str]] = {
    "order_count": (Kind.NUMBER, "orders the shopper placed (not cancelled), this one included"),
    "total_spent": (Kind.NUMBER, "what those orders came to"),
    "cart_value": (Kind.NUMBER, "the total of the checkout or cart the flow is about"),
    "order_value": (Kind.NUMBER, "the total of the order the flow is about"),
    "tags": (Kind.TAGS, "the shopper's tags"),
    "email_consent": (Kind.WORD, "email marketing consent: subscribed, unsubscribed, pending, ..."),
    "sms_consent": (Kind.WORD, "SMS marketing consent"),
    "country": (Kind.WORD, "the shopper's two-letter country code"),
    "opened_previous": (Kind.YES_NO, "opened this flow's previous message"),
    "clicked_previous": (Kind.YES_NO, "clicked a link in this flow's previous message"),
}
OPERATORS: dict[Kind, tuple[str, ...]] = {
    Kind.NUMBER: ("=", "!=", ">", ">=", "<", "<="),
    Kind.WORD: ("=", "!=", "in"),
    Kind.TAGS: ("has", "lacks"),
    Kind.YES_NO: ("=",),
}
YES = frozenset({"yes", "true"})
NO = frozenset({"no", "false"})
_TOKEN = re.compile(r'\s*(>=|<=|!=|=|>|<|,|"[^"]*"|[^\s,=<>!"]+)')


@dataclass(frozen=True)
class Clause:
    prop: str
    op: str
    value: Any


@dataclass(frozen=True)
class Condition:
    """Groups of clauses: the condition holds when every clause of any one group holds."""

    groups: tuple[tuple[Clause, ...], ...] = ()

    @property
    def always(self) -> bool:
        return not self.groups


def parse(text: str) -> Condition:
    """Read a condition; the empty text means "always"."""
    tokens = _tokens(text)
    if not tokens:
        return Condition()
    groups: list[tuple[Clause, ...]] = []
    clauses: list[Clause] = []
    position = 0
    while True:
        clause, position = _clause(tokens, position)
        clauses.append(clause)
        if position == len(tokens):
            break
        joiner = tokens[position].lower()
        if joiner not in {"and", "or"}:
            raise ConditionError(f"expected 'and' or 'or' before {tokens[position]!r}")
        if joiner == "or":
            groups.append(tuple(clauses))
            clauses = []
        position += 1
        if position == len(tokens):
            raise ConditionError(f"the condition ends after '{joiner}'")
    groups.append(tuple(clauses))
    return Condition(tuple(groups))


def _tokens(text: str) -> list[str]:
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ConditionError(f"cannot read the condition from {text[position:]!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def _clause(tokens: list[str], position: int) -> tuple[Clause, int]:
    prop = tokens[position].lower()
    if prop not in PROPERTIES:
        raise ConditionError(f"unknown property {tokens[position]!r}; use one of: {', '.join(PROPERTIES)}")
    kind = PROPERTIES[prop][0]
    if position + 1 >= len(tokens):
        raise ConditionError(f"{prop} needs an operator and a value, e.g. {_example(kind, prop)}")
    op = tokens[position + 1].lower()
    if op not in OPERATORS[kind]:
        raise ConditionError(
            f"{op!r} does not apply to {prop} ({kind.value}); use {' or '.join(OPERATORS[kind])}"
        )
    position += 2
    if position >= len(tokens):
        raise ConditionError(f"{prop} {op} needs a value, e.g. {_example(kind, prop)}")
    if op == "in":
        values = [_word(tokens[position])]
        position += 1
        while position + 1 < len(tokens) and tokens[position] == ",":
            values.append(_word(tokens[position + 1]))
            position += 2
        return Clause(prop, op, tuple(values)), position
    return Clause(prop, op, _value(kind, prop, tokens[position])), position + 1


def _value(kind: Kind, prop: str, raw: str) -> Any:
    if kind == Kind.NUMBER:
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise ConditionError(f"{prop} compares with a number, not {raw!r}") from None
        if not number.is_finite():
            raise ConditionError(f"{prop} compares with a number, not {raw!r}")
        return number
    if kind == Kind.YES_NO:
        word = raw.lower()
        if word not in YES | NO:
            raise ConditionError(f"{prop} is yes or no, not {raw!r}")
        return word in YES
    return _word(raw)


def _word(raw: str) -> str:
    return raw.strip('"').lower()


def _example(kind: Kind, prop: str) -> str:
    return {
        Kind.NUMBER: f"{prop} >= 2",
        Kind.WORD: f"{prop} = US",
        Kind.TAGS: f"{prop} has vip",
        Kind.YES_NO: f"{prop} = yes",
    }[kind]


def holds(condition: Condition, facts: Mapping[str, Any]) -> bool:
    """Tell whether the condition holds for these facts; an unknown fact makes its clause false."""
    if condition.always:
        return True
    return any(all(_holds(clause, facts.get(clause.prop)) for clause in group) for group in condition.groups)


def _holds(clause: Clause, fact: Any) -> bool:
    if fact is None:
        return clause.op == "!="
    op, value = clause.op, clause.value
    if op == "has":
        return value in {str(tag).lower() for tag in fact}
    if op == "lacks":
        return value not in {str(tag).lower() for tag in fact}
    if op == "in":
        return str(fact).lower() in value
    if isinstance(value, bool):
        return bool(fact) == value
    if isinstance(value, Decimal):
        number = Decimal(str(fact))
        return {
            "=": number == value,
            "!=": number != value,
            ">": number > value,
            ">=": number >= value,
            "<": number < value,
            "<=": number <= value,
        }[op]
    same = str(fact).lower() == value
    return same if op == "=" else not same


def properties_in(condition: Condition) -> frozenset[str]:
    """Return the properties a condition reads, so only those facts are looked up."""
    return frozenset(clause.prop for group in condition.groups for clause in group)
