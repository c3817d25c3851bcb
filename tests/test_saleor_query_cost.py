"""Our count of a query's cost is Saleor's (saleor/graphql/query_cost_map.py), or above it, never below."""

from __future__ import annotations

import pytest

from app.platforms.saleor.query_cost import QueryShapeError, query_cost


def test_a_connection_multiplies_the_costed_fields_it_holds_by_its_first():
    query = "query { orders(first: 10) { edges { node { id number user { id } lines { id } } } } }"

    assert query_cost(query) == 10 + 10 + 10  # orders, user, lines; plain fields cost nothing


def test_fields_saleor_does_not_cost_cost_nothing():
    assert query_cost("query { shop { name } app { id } }") == 0


def test_an_alias_is_costed_as_the_field_it_names():
    assert query_cost("query { recent: orders(first: 5) { totalCount } }") == 5


def test_a_fragment_spread_costs_as_if_written_inline_with_the_page_size_read_from_variables():
    query = (
        "query Q($first: Int!, $after: String) { products(first: $first, after: $after) "
        "{ edges { node { ...P } } } } "
        "fragment P on Product { id variants { ...V } } "
        "fragment V on ProductVariant { id stocks { quantity } }"
    )

    assert query_cost(query, {"first": 20}) == 20 * (1 + 1 + 1)  # products, variants, stocks


def test_an_inline_fragment_counts_as_its_parents_fields():
    assert query_cost("query { orders(first: 4) { edges { node { ... on Order { user { id } } } } } }") == 8


def test_strings_and_nested_arguments_do_not_confuse_the_count():
    query = (
        'query { customers(first: 2, filter: {dateJoined: {gte: "2026-01-01"}}, sortBy: {field: CREATED_AT, '
        'direction: ASC}) { edges { node { consent: metafield(key: "a { b } c") '
        "defaultBillingAddress { phone } } } } }"
    )

    assert query_cost(query) == 2 + 2


def test_a_page_size_that_is_not_a_number_is_our_bug_and_says_so():
    with pytest.raises(QueryShapeError):
        query_cost("query Q($first: Int!) { orders(first: $first) { totalCount } }", {"first": "many"})
