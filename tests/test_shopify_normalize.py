"""Shopify payloads map onto platform-neutral facts (checked against the bundled 2024-01..2026-04 samples)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.core.events import EventKind
from app.core.facts import ConsentState, NormalizationError
from tests.support.samples import SAMPLES, sample
from webhooks.shopify.normalize import normalize

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _topic_of(name: str) -> str:
    prefix = name.split("__")[0]
    topic = {
        "customers_email_marketing_consent_update": "customers_email_marketing_consent/update",
        "customers_marketing_consent_update": "customers_marketing_consent/update",
        "customers_data_request": "customers/data_request",
        "customers_redact": "customers/redact",
        "shop_redact": "shop/redact",
        "app_uninstalled": "app/uninstalled",
    }.get(prefix)
    return topic or prefix.replace("_", "/", 1)


ALL_SAMPLES = sorted(p.stem for p in (SAMPLES / "shopify").glob("*.json"))


@pytest.mark.parametrize("name", ALL_SAMPLES)
def test_every_bundled_sample_normalizes(name):
    normalized = normalize(_topic_of(name), sample("shopify", name), NOW)

    assert normalized.kind is not None


def test_a_checkout_carries_its_token_contact_items_and_recovery_link():
    normalized = normalize(
        "checkouts/create", sample("shopify", "checkouts_create__shopifydocs-2026-04"), NOW
    )

    checkout = normalized.checkout
    assert normalized.kind == EventKind.CHECKOUT_STARTED
    assert checkout.token == "123123123"
    assert checkout.cart_token == "eeafa272cebfd4b22385bc4b645e762c"
    assert checkout.recovery_url.startswith("https://checkout.local/548380009/checkouts/123123123/recover")
    assert checkout.total_price == Decimal("421.88")
    assert [(i.title, i.quantity, i.price) for i in checkout.line_items] == [
        ("IPod Nano - 8GB", 1, Decimal("199.00")),
        ("IPod Nano - 8GB", 1, Decimal("199.00")),
    ]
    assert normalized.contact.email == "example@email.com"
    assert normalized.contact.platform_customer_id == "603851970716743400"
    assert normalized.contact.country_code == "US"


def test_a_checkout_without_the_box_ticked_says_nothing_about_consent():
    payload = sample("shopify", "checkouts_create__shopifydocs-2026-04")

    assert normalize("checkouts/create", payload, NOW).consents == ()


def test_a_ticked_checkout_box_grants_email_consent_without_revoking_anything():
    payload = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    payload["buyer_accepts_marketing"] = True

    (consent,) = normalize("checkouts/create", payload, NOW).consents

    assert (consent.channel, consent.state, consent.grant_only) == ("email", ConsentState.SUBSCRIBED, True)


def test_sms_consent_at_checkout_needs_the_sms_marketing_phone():
    payload = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    payload["buyer_accepts_sms_marketing"] = True

    assert normalize("checkouts/create", payload, NOW).consents == ()

    payload["sms_marketing_phone"] = "+16135551111"
    (consent,) = normalize("checkouts/create", payload, NOW).consents
    assert (consent.channel, consent.phone) == ("sms", "+16135551111")


def test_a_guest_checkout_without_email_has_no_contact():
    normalized = normalize(
        "checkouts/create", sample("shopify", "checkouts_create__rudderstack-devstore"), NOW
    )

    assert normalized.contact is None
    assert normalized.checkout.token == "84ad78572dae52a8cbea7d55371afe89"


def test_an_order_names_the_checkout_it_completes():
    normalized = normalize("orders/create", sample("shopify", "orders_create__rudderstack-devstore"), NOW)

    order = normalized.order
    assert normalized.kind == EventKind.ORDER_PLACED
    assert (order.platform_id, order.name) == ("5778367414385", "#1017")
    assert order.checkout_token == "84ad78572dae52a8cbea7d55371afe89"
    assert normalized.contact.email == "henry@wfls.com"


def test_orders_paid_records_when_payment_was_learned():
    normalized = normalize("orders/paid", sample("shopify", "orders_paid__shopifydocs-2026-04"), NOW)

    assert normalized.kind == EventKind.ORDER_PAID
    assert normalized.order.paid_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    assert normalized.order.fulfilled_at is None


def test_the_email_consent_topic_sets_the_state_it_names():
    normalized = normalize(
        "customers_email_marketing_consent/update",
        sample("shopify", "customers_email_marketing_consent_update__shopifydocs-2026-04"),
        NOW,
    )

    (consent,) = normalized.consents
    assert normalized.contact.email == "bob@biller.com"
    assert (consent.channel, consent.state, consent.at) == ("email", ConsentState.NOT_SUBSCRIBED, NOW)


def test_a_null_sms_consent_state_counts_as_not_subscribed():
    normalized = normalize(
        "customers_marketing_consent/update",
        sample("shopify", "customers_marketing_consent_update__shopifydocs-2026-04"),
        NOW,
    )

    assert normalized.consents[0].state == ConsentState.NOT_SUBSCRIBED


def test_an_unknown_consent_state_counts_as_invalid_never_as_subscribed():
    payload = {"customer_id": 1, "email_address": "a@b.c", "email_marketing_consent": {"state": "maybe"}}

    normalized = normalize("customers_email_marketing_consent/update", payload, NOW)

    assert normalized.consents[0].state == ConsentState.INVALID


def test_a_pre_2025_customer_payload_still_yields_its_consent():
    payload = sample("shopify", "customers_create__shopifydocs-2024-07")
    payload["email_marketing_consent"] = {"state": "subscribed", "consent_updated_at": "2024-05-01T10:00:00Z"}

    (consent,) = normalize("customers/create", payload, NOW).consents

    assert (consent.channel, consent.state) == ("email", ConsentState.SUBSCRIBED)
    assert consent.at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def test_a_2026_customer_payload_carries_no_consent():
    normalized = normalize(
        "customers/update", sample("shopify", "customers_update__shopifydocs-2026-04"), NOW
    )

    assert normalized.consents == ()
    assert normalized.contact.email == "bob@biller.com"


def test_a_redact_request_names_the_customer_and_orders():
    normalized = normalize(
        "customers/redact", sample("shopify", "customers_redact__shopifydocs-2026-04"), NOW
    )

    assert normalized.kind == EventKind.PRIVACY_CUSTOMER_REDACT
    assert normalized.privacy.customer.email == "john@example.com"
    assert normalized.privacy.order_ids == ("299938", "280263", "220458")


@pytest.mark.parametrize(
    ("topic", "payload", "complaint"),
    [
        ("checkouts/create", {"updated_at": "2026-01-01T00:00:00Z"}, "token is required"),
        ("checkouts/create", {"token": 5}, "token must be a string"),
        ("checkouts/create", {"token": "t", "line_items": "many"}, "line_items must be a list"),
        ("checkouts/create", {"token": "t", "total_price": ["lots"]}, "total_price must be an amount"),
        ("checkouts/create", {"token": "t", "updated_at": 20260101}, "updated_at must be a string"),
        ("orders/create", {"name": "#1"}, "id is required"),
        ("orders/create", {"id": True}, "id must be a number or a string"),
        ("customers_email_marketing_consent/update", {"customer_id": 1}, "must be an object"),
        ("checkouts/create", {"token": "t", "customer": [1]}, "customer must be an object"),
        ("checkouts/create", {"token": "t", "line_items": [{"quantity": float("nan")}]}, "finite number"),
        ("checkouts/create", {"token": "t", "line_items": [{"quantity": float("inf")}]}, "finite number"),
        ("orders/create", {"id": "9" * 65}, "longer than 64 characters"),
    ],
)
def test_a_payload_of_the_wrong_shape_is_refused_with_the_field_named(topic, payload, complaint):
    with pytest.raises(NormalizationError, match=complaint):
        normalize(topic, payload, NOW)


def test_placeholder_values_in_optional_fields_drop_the_field_not_the_event():
    payload = {
        "token": "t",
        "total_price": "example string",
        "currency": "example string",
        "updated_at": "soon",
    }

    normalized = normalize("checkouts/update", payload, NOW)

    assert normalized.checkout.total_price is None
    assert normalized.checkout.currency is None
    assert normalized.checkout.updated_at == NOW
