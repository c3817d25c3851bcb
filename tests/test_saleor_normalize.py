"""Saleor payloads, plain and filterable, become the same neutral facts Shopify's do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.core.events import EventKind
from app.core.facts import ConsentState, NormalizationError
from demo.saleor import checkout_from_legacy
from tests.support.saleor import global_id
from tests.support.samples import sample
from webhooks.saleor.normalize import normalize

WHEN = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LINDA = "SHIPPING_LIST_METHODS_FOR_CHECKOUT__saleor-docs-legacy-checkout"
GUEST = "CHECKOUT_FILTER_SHIPPING_METHODS__saleor-docs-legacy-checkout"
SMTP_ORDER = "ORDER_CREATED__saleor-apps-smtp-example"


def linda_checkout(**changes):
    payload = checkout_from_legacy(sample("saleor", LINDA)[0])
    payload["checkout"]["lines"] = [
        {"quantity": 2, "unitPrice": {"gross": {"amount": 40}}, "variant": {"product": {"name": "T-Shirt"}}}
    ]
    payload["checkout"].update(changes)
    return payload


def smtp_order(**changes):
    payload = sample("saleor", SMTP_ORDER)
    payload["order"].update(changes)
    return payload


def test_a_checkout_keys_on_its_token_from_the_global_id():
    checkout = normalize("checkout_created", linda_checkout(), WHEN).checkout

    assert checkout.token == "uuid"  # the sample's id is base64("Checkout:uuid")
    assert checkout.platform_id == "Q2hlY2tvdXQ6dXVpZA=="


def test_a_checkout_carries_its_email_contact_and_lines():
    normalized = normalize("checkout_created", linda_checkout(), WHEN)

    assert normalized.kind == EventKind.CHECKOUT_STARTED
    assert normalized.checkout.email == "linda.thomas@example.com"
    assert normalized.contact.platform_customer_id == "VXNlcjoxOTY="
    assert (normalized.contact.first_name, normalized.contact.last_name) == ("Linda", "Thomas")
    (line,) = normalized.checkout.line_items
    assert (line.title, line.quantity, line.price) == ("T-Shirt", 2, Decimal("40.00"))


def test_a_guest_checkout_without_a_user_is_contacted_by_its_email():
    payload = checkout_from_legacy(sample("saleor", GUEST)["checkout"])

    normalized = normalize("checkout_updated", payload, WHEN)

    assert normalized.contact.email == "user@email.com"
    assert normalized.contact.platform_customer_id is None


def test_a_fully_paid_checkout_is_completed():
    normalized = normalize("checkout_fully_paid", linda_checkout(updatedAt=WHEN.isoformat()), WHEN)

    assert normalized.kind == EventKind.CHECKOUT_COMPLETED
    assert normalized.checkout.completed_at == WHEN


def test_the_filterable_subscription_shape_reads_the_same():
    payload = sample("saleor", "ORDER_CREATED__saleor-docs-filterable-subscription")

    order = normalize("order_created", payload, WHEN).order

    assert order.platform_id == "T3JkZXI6YzhmY2FjMTgtMWQ5Yy00NWRkLTgxMGYtMGIzMTJiYTNjZDYz"


def test_issued_at_is_when_the_event_happened():
    payload = sample("saleor", "ORDER_CREATED__mirumee-saleor-sdk-python-docs")

    normalized = normalize("order_created", payload, WHEN)

    assert normalized.occurred_at == datetime(2022, 12, 12, 0, 37, 17, 405467, tzinfo=UTC)
    assert normalized.order.platform_id == "T3JkZXI6MWFkNzZjOTctZDkxNy00NjRmLWIwNzUtOTljNzcwY2IzOWI4"


def test_an_order_carries_its_number_buyer_lines_and_total():
    order = normalize("order_created", smtp_order(), WHEN).order

    assert order.name == "#1042"
    assert order.email == "adrian.king@example.com"
    assert (order.total_price, order.currency) == (Decimal("213.00"), "USD")
    assert order.line_items[0].title == "Organic Cotton T-Shirt"
    assert order.line_items[0].image_url == "https://picsum.photos/seed/tshirt/150/150"


def test_an_order_names_its_checkout_through_checkout_id():
    order = normalize("order_created", smtp_order(checkoutId=global_id("Checkout", "c0ffee")), WHEN).order

    assert order.checkout_token == "c0ffee"


@pytest.mark.parametrize(
    ("event", "milestone"),
    [
        ("order_fully_paid", "paid_at"),
        ("order_fulfilled", "fulfilled_at"),
        ("order_cancelled", "cancelled_at"),
    ],
)
def test_each_order_event_records_its_milestone(event, milestone):
    order = normalize(event, smtp_order(updatedAt=WHEN.isoformat()), WHEN).order

    assert getattr(order, milestone) == WHEN


def test_an_order_created_already_paid_is_paid():
    assert normalize("order_created", smtp_order(isPaid=True), WHEN).order.paid_at is not None


def test_an_unpaid_new_order_is_only_placed():
    order = normalize("order_created", smtp_order(isPaid=False), WHEN).order

    assert (order.paid_at, order.fulfilled_at, order.cancelled_at) == (None, None, None)


def test_a_customer_payload_becomes_a_contact():
    normalized = normalize(
        "customer_created", sample("saleor", "CUSTOMER_CREATED__saleor-examples-crm-test"), WHEN
    )

    assert normalized.kind == EventKind.CUSTOMER_CREATED
    assert normalized.contact.email == "someuser@gmail.com"
    assert normalized.contact.platform_customer_id == "user-id"
    assert normalized.consents == ()  # privateMetadata is not our consent rule


def test_app_deleted_means_uninstalled_at_its_issue_time():
    normalized = normalize("app_deleted", {"issuedAt": WHEN.isoformat(), "app": {"id": "QXBwOjE="}}, WHEN)

    assert (normalized.kind, normalized.occurred_at) == (EventKind.APP_UNINSTALLED, WHEN)


@pytest.mark.parametrize(
    ("value", "state"),
    [
        ("true", ConsentState.SUBSCRIBED),
        ("Subscribed", ConsentState.SUBSCRIBED),
        ("false", ConsentState.UNSUBSCRIBED),
        ("unsubscribed", ConsentState.UNSUBSCRIBED),
        ("maybe", ConsentState.NOT_SUBSCRIBED),
    ],
)
def test_the_consent_metadata_value_sets_the_email_consent(value, state):
    normalized = normalize("checkout_updated", linda_checkout(emailConsent=value), WHEN)

    (consent,) = normalized.consents
    assert (consent.channel, consent.state, consent.source) == ("email", state, "saleor:checkout_metadata")


def test_without_consent_metadata_nothing_is_consented():
    assert normalize("checkout_updated", linda_checkout(), WHEN).consents == ()


def test_sms_consent_comes_with_the_address_phone():
    payload = linda_checkout(smsConsent="true")
    payload["checkout"]["shippingAddress"] = {"phone": "+16135550199", "country": {"code": "CA"}}

    (consent,) = normalize("checkout_updated", payload, WHEN).consents

    assert (consent.channel, consent.state, consent.phone) == ("sms", ConsentState.SUBSCRIBED, "+16135550199")


def test_consent_on_the_customer_counts_for_their_orders():
    payload = smtp_order()
    payload["order"]["user"]["emailConsent"] = "subscribed"

    (consent,) = normalize("order_created", payload, WHEN).consents

    assert (consent.state, consent.source) == (ConsentState.SUBSCRIBED, "saleor:user_metadata")


def test_an_empty_checkout_expires_six_hours_after_its_last_change():
    checkout = normalize(
        "checkout_created", linda_checkout(lines=[], updatedAt=WHEN.isoformat()), WHEN
    ).checkout

    assert checkout.expires_at == WHEN + timedelta(hours=6)


def test_a_checkout_with_an_email_expires_after_ninety_days():
    checkout = normalize("checkout_created", linda_checkout(updatedAt=WHEN.isoformat()), WHEN).checkout

    assert checkout.expires_at == WHEN + timedelta(days=90)


def test_an_anonymous_checkout_expires_after_thirty_days():
    payload = linda_checkout(updatedAt=WHEN.isoformat(), email=None, user=None)

    assert normalize("checkout_created", payload, WHEN).checkout.expires_at == WHEN + timedelta(days=30)


def test_a_payload_missing_its_object_reports_saleors_errors():
    payload = {"checkout": None, "errors": [{"message": "You need MANAGE_CHECKOUTS"}]}

    with pytest.raises(NormalizationError, match="MANAGE_CHECKOUTS"):
        normalize("checkout_created", payload, WHEN)


def test_an_unknown_event_is_refused():
    with pytest.raises(NormalizationError, match="unknown Saleor event"):
        normalize("page_created", {"page": {}}, WHEN)


def test_a_wrongly_typed_field_is_refused():
    with pytest.raises(NormalizationError, match="email"):
        normalize("checkout_created", linda_checkout(email=42), WHEN)
