"""What one of our queries costs on a Saleor instance, counted before we send it.

Saleor refuses, unrun, a query whose cost exceeds ``GRAPHQL_QUERY_MAX_COMPLEXITY`` (50000 unless
the operator set it; saleor/settings.py). It counts with saleor/graphql/core/validators/query_cost.py
over saleor/graphql/query_cost_map.py: a field the map lists costs its complexity (1 for each one
we ask for) times the ``first`` of every paginated field above it; any other field costs nothing.
Lists that are not connections (``Order.lines``, ``Product.variants``) multiply nothing.

This count is an upper bound, which is what a limit needs: a field name is costed on whatever
type it appears, and fragment spreads are counted as if written inline (Saleor counts a fragment
without its parents' multipliers). Hand-rolled over our own query text: graphql-core is not a
dependency, and our queries need only fields, aliases, arguments, fragments and spreads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.platforms.saleor.errors import SaleorError

# Saleor's default GRAPHQL_QUERY_MAX_COMPLEXITY and GRAPHQL_PAGINATION_LIMIT (a larger ``first`` is refused).
DEFAULT_MAX_COMPLEXITY = 50000
PAGINATION_LIMIT = 100

# The fields our queries select that query_cost_map.py costs (complexity 1); the connections among
# them multiply what they hold by their ``first``.
CONNECTIONS = frozenset({"customers", "orders", "products"})
COSTED = CONNECTIONS | frozenset(
    {
        "user",
        "billingAddress",
        "shippingAddress",
        "defaultBillingAddress",
        "defaultShippingAddress",
        "lines",
        "thumbnail",
        "variant",
        "product",
        "variants",
        "channelListings",
        "stocks",
        "collections",
        "category",
    }
)

_TOKEN = re.compile(r'\.\.\.|"(?:[^"\\]|\\.)*"|\$?[A-Za-z_][A-Za-z0-9_]*|-?\d+|[{}():!,\[\]=]')


class QueryShapeError(SaleorError, ValueError):
    """The text is not a query this counter reads (a bug in our own query, never outside input)."""


@dataclass
class _Selection:
    """A field (with its ``first`` argument, if any) or a fragment spread, and what it selects."""

    name: str
    first: str | None = None
    spread: bool = False
    children: list[_Selection] = field(default_factory=list)


def query_cost(query: str, variables: Mapping[str, object] | None = None) -> int:
    """Return the cost Saleor counts for ``query`` (an upper bound), reading ``$first`` from ``variables``."""
    tokens = _TOKEN.findall(query)
    operation: list[_Selection] = []
    fragments: dict[str, list[_Selection]] = {}
    at = 0
    while at < len(tokens):
        keyword = tokens[at]
        if keyword == "fragment":
            name = tokens[at + 1]
            fragments[name], at = _selection_set(tokens, tokens.index("{", at))
        elif keyword in ("query", "{"):
            operation, at = _selection_set(tokens, tokens.index("{", at))
        else:
            raise QueryShapeError(f"unexpected {keyword!r} at token {at}")
    return _cost(operation, 1, fragments, variables or {})


def _selection_set(tokens: list[str], at: int) -> tuple[list[_Selection], int]:
    """Parse ``{ ... }`` starting at ``tokens[at] == "{"``; return it and the index after ``}``."""
    if tokens[at] != "{":
        raise QueryShapeError(f"expected '{{' at token {at}")
    at += 1
    selections: list[_Selection] = []
    while tokens[at] != "}":
        if tokens[at] == "...":
            if tokens[at + 1] == "on":  # an inline fragment: its fields count as the parent's
                inline, at = _selection_set(tokens, at + 3)
                selections.extend(inline)
                continue
            selections.append(_Selection(tokens[at + 1], spread=True))
            at += 2
            continue
        name = tokens[at]
        at += 1
        if tokens[at] == ":":  # an alias: the field is the name after it
            name = tokens[at + 1]
            at += 2
        selection = _Selection(name)
        if tokens[at] == "(":
            selection.first, at = _first_argument(tokens, at)
        if tokens[at] == "{":
            selection.children, at = _selection_set(tokens, at)
        selections.append(selection)
    return selections, at + 1


def _first_argument(tokens: list[str], at: int) -> tuple[str | None, int]:
    """Read an argument list starting at ``(``; return its ``first`` value and the index after ``)``."""
    first = None
    depth = 0
    while True:
        token = tokens[at]
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(token, 0)
        if depth == 1 and token == "first" and tokens[at + 1] == ":":
            first = tokens[at + 2]
        at += 1
        if depth == 0:
            return first, at


def _cost(
    selections: list[_Selection],
    multiplier: int,
    fragments: Mapping[str, list[_Selection]],
    variables: Mapping[str, object],
) -> int:
    total = 0
    for selection in selections:
        if selection.spread:
            total += _cost(fragments[selection.name], multiplier, fragments, variables)
            continue
        inner = multiplier
        if selection.name in CONNECTIONS and selection.first is not None:
            inner = multiplier * _number(selection.first, variables)
        if selection.name in COSTED:
            total += inner
        total += _cost(selection.children, inner, fragments, variables)
    return total


def _number(value: str, variables: Mapping[str, object]) -> int:
    resolved = variables.get(value[1:]) if value.startswith("$") else value
    try:
        return int(str(resolved))
    except ValueError:
        raise QueryShapeError(f"first is {value!r}, not a number") from None
