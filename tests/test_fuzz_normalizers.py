"""Property tests: no payload, however hostile, makes a normalizer fail other than by refusing it.

A signed but malformed payload must end as a recorded NormalizationError (permanent, not retried),
never as an unexpected exception that crashes a job batch and is retried forever; and what a
normalizer returns must be storable as it is (tests/support/hostile.py says what that means).
Every payload goes through the JSON decoding the pipeline uses, from the text a sender would post.
Hypothesis mutates real samples (so the shapes are close to what platforms send) and also throws
arbitrary JSON at every topic; and every field of every sample is given each hostile value in turn.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.facts import NormalizationError, Normalized
from demo.saleor import checkout_from_legacy
from tests.support.hostile import BIG_IDS, EXTREME_DATES, LONE_SURROGATES, assert_storable, hostile_scalars
from tests.support.samples import SAMPLES, sample
from webhooks.errors import MalformedWebhookError
from webhooks.payload import decode_json_object
from webhooks.registry import NORMALIZERS
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
    hostile_scalars,
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
    mutated = json.loads(json.dumps(document))  # a deep copy, several times faster than deepcopy's
    holder = mutated
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = new
    return mutated


def _outcome(normalize: Any, topic: str, payload: Any) -> None:
    """Normalize a payload from the JSON text a sender would post, as the pipeline reads it."""
    try:
        decoded, _ = decode_json_object(json.dumps(payload).encode())
    except MalformedWebhookError:
        return  # NaN or Infinity: refused at the door, never stored
    try:
        result = normalize(topic, decoded, NOW)
    except NormalizationError:
        return
    assert isinstance(result, Normalized)
    assert_storable(result)


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


SALEOR_PRODUCT = {
    "id": "UHJvZHVjdDo3Mg==",
    "name": "Shirt",
    "slug": "shirt",
    "updatedAt": "2026-11-26T12:00:00+00:00",
    "thumbnail": {"url": "https://cdn.saleor.example/shirt.png"},
    "collections": [{"name": "Summer"}],
    "category": {"name": "Tops"},
    "variants": [
        {
            "id": "UHJvZHVjdFZhcmlhbnQ6NzAy",
            "name": "M",
            "sku": "SHIRT-M",
            "updatedAt": "2026-11-26T12:00:00+00:00",
            "trackInventory": True,
            "channelListings": [{"price": {"amount": 19.99, "currency": "USD"}}],
            "stocks": [{"quantity": 5, "quantityAllocated": 1}],
        }
    ],
}
SALEOR_SAMPLES = [
    *(
        sample("saleor", p.stem)
        for p in sorted((SAMPLES / "saleor").glob("*.json"))
        if p.stem.split("__")[0] in {"ORDER_CREATED", "CUSTOMER_CREATED"}
    ),
    checkout_from_legacy(
        sample("saleor", "SHIPPING_LIST_METHODS_FOR_CHECKOUT__saleor-docs-legacy-checkout")[0]
    ),
    {"issuedAt": "2026-11-26T12:00:00+00:00", "product": SALEOR_PRODUCT},
    {"productVariant": {**SALEOR_PRODUCT["variants"][0], "product": SALEOR_PRODUCT}},
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


# --- every field of every sample, each hostile value in turn ---------------------------------------

SHOPIFY_PRODUCT = {
    "id": 632910392,
    "title": "IPod Nano - 8GB",
    "handle": "ipod-nano",
    "product_type": "Cult Products",
    "tags": "Emotive, Flash Memory",
    "updated_at": "2026-11-26T12:00:00-05:00",
    "image": {"src": "https://cdn.shopify.example/ipod.jpg"},
    "variants": [
        {
            "id": 808950810,
            "title": "Pink",
            "price": "199.00",
            "inventory_policy": "deny",
            "inventory_item_id": 808950811,
            "inventory_quantity": 10,
        }
    ],
}
SHOPIFY_INVENTORY = {
    "inventory_item_id": 808950811,
    "location_id": 24826418,
    "available": 6,
    "updated_at": "2026-11-26T12:00:00-05:00",
}


def _shopify_cases() -> list[tuple[str, dict[str, Any]]]:
    """Every Shopify sample under the topic it was captured from, and a product and a stock level."""
    by_prefix = {topic.replace("/", "_"): topic for topic in TOPIC_KINDS}
    cases = [
        (by_prefix[path.stem.split("__")[0]], sample("shopify", path.stem))
        for path in sorted((SAMPLES / "shopify").glob("*.json"))
    ]
    return [*cases, ("products/update", SHOPIFY_PRODUCT), ("inventory_levels/update", SHOPIFY_INVENTORY)]


def _saleor_cases() -> list[tuple[str, dict[str, Any]]]:
    """Each Saleor payload under the first event whose subject it carries."""
    return [
        (
            next(
                name
                for name, event in sorted(SALEOR_EVENTS.items())
                if event.subject in document or event.field in document.get("data", {})
            ),
            document,
        )
        for document in SALEOR_SAMPLES
    ]


CASES = {"shopify": _shopify_cases(), "saleor": _saleor_cases()}


def _leaves(value: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """Return (path, value) of every place in a document, containers included."""
    leaves: list[tuple[tuple[Any, ...], Any]] = []
    for path in _paths(value):
        holder = value
        for step in path:
            holder = holder[step]
        leaves.append((path, holder))
    return leaves


def _looks_like_a_date(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[:4].isdigit()


def _looks_like_an_id(path: tuple[Any, ...], value: Any) -> bool:
    key = str(path[-1]).lower()
    return (
        isinstance(value, int | str) and not isinstance(value, bool) and (key == "id" or key.endswith("_id"))
    )


HOSTILE = {
    "null": lambda path, value: [None],
    "a lone surrogate": lambda path, value: (
        [value + " ".join(LONE_SURROGATES)] if isinstance(value, str) else []
    ),
    "a date at the end of time": lambda path, value: list(EXTREME_DATES) if _looks_like_a_date(value) else [],
    "an id above 2^63": lambda path, value: list(BIG_IDS) if _looks_like_an_id(path, value) else [],
}


@pytest.mark.parametrize("platform", sorted(CASES))
@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_every_field_of_every_sample_takes_each_hostile_value_without_a_crash(platform, hostile):
    normalize = NORMALIZERS[platform]
    tried = 0
    for topic, document in CASES[platform]:
        for path, value in _leaves(document):
            for new in HOSTILE[hostile](path, value):
                tried += 1
                try:
                    _outcome(normalize, topic, _replace(document, path, new))
                except Exception as exc:
                    raise AssertionError(f"{topic} with {path} = {new!r}: {exc!r}") from exc
    assert tried > 20
