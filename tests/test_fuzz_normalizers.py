"""Property tests: no payload, however hostile, makes a normalizer fail other than by refusing it.

A signed but malformed payload must end as a recorded NormalizationError (permanent, not retried),
never as an unexpected exception that crashes a job batch and is retried forever. Hypothesis
mutates real samples (so the shapes are close to what platforms send) and also throws arbitrary
JSON at every topic.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ingest.facts import NormalizationError, Normalized
from tests.support.samples import SAMPLES, sample
from webhooks.saleor.events import EVENTS as SALEOR_EVENTS
from webhooks.saleor.normalize import normalize as normalize_saleor
from webhooks.shopify.normalize import normalize as normalize_shopify
from webhooks.shopify.topics import TOPIC_KINDS

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)

SHOPIFY_SAMPLES = {
    topic: [sample("shopify", p.stem) for p in sorted((SAMPLES / "shopify").glob(f"{prefix}__*.json"))]
    for topic, prefix in (
        ("checkouts/create", "checkouts_create"),
        ("checkouts/update", "checkouts_update"),
        ("orders/paid", "orders_paid"),
        ("orders/create", "orders_create"),
        ("customers/update", "customers_update"),
        ("carts/update", "carts_update"),
        ("customers/redact", "customers_redact"),
        ("customers_email_marketing_consent/update", "customers_email_marketing_consent_update"),
    )
}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """List every place in a JSON document that a mutation can replace."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            found += _paths(child, (*prefix, index))
    return found


def _replace(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    mutated = copy.deepcopy(document)
    holder = mutated
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = new
    return mutated


def _outcome(normalize: Any, topic: str, payload: Any) -> None:
    try:
        result = normalize(topic, payload, NOW)
    except NormalizationError:
        return
    assert isinstance(result, Normalized)


@st.composite
def mutated_shopify(draw: st.DrawFn) -> tuple[str, Any]:
    topic = draw(st.sampled_from(sorted(SHOPIFY_SAMPLES)))
    document = draw(st.sampled_from(SHOPIFY_SAMPLES[topic]))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(document)))
        document = _replace(document, path, draw(json_values))
    return topic, document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_shopify())
def test_mutated_shopify_samples_are_normalized_or_refused(case):
    topic, payload = case
    _outcome(normalize_shopify, topic, payload)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(TOPIC_KINDS)), st.dictionaries(st.text(max_size=20), json_values, max_size=8))
def test_arbitrary_json_objects_on_any_shopify_topic_are_normalized_or_refused(topic, payload):
    _outcome(normalize_shopify, topic, payload)


SALEOR_SAMPLES = [
    sample("saleor", p.stem)
    for p in sorted((SAMPLES / "saleor").glob("*.json"))
    if p.stem.split("__")[0] in {"ORDER_CREATED", "CUSTOMER_CREATED"}
]


@st.composite
def mutated_saleor(draw: st.DrawFn) -> tuple[str, Any]:
    document = draw(st.sampled_from(SALEOR_SAMPLES))
    topic = draw(st.sampled_from(sorted(SALEOR_EVENTS)))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        path = draw(st.sampled_from(_paths(document)))
        document = _replace(document, path, draw(json_values))
    return topic, document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_saleor())
def test_mutated_saleor_samples_are_normalized_or_refused(case):
    topic, payload = case
    _outcome(normalize_saleor, topic, payload)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SALEOR_EVENTS)), st.dictionaries(st.text(max_size=20), json_values, max_size=8))
def test_arbitrary_json_objects_on_any_saleor_event_are_normalized_or_refused(topic, payload):
    _outcome(normalize_saleor, topic, payload)
