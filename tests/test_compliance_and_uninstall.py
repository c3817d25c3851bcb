"""Mandatory compliance topics really export and erase; uninstalling stops everything for the shop."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db.models import (
    Checkout,
    Contact,
    DataExport,
    Enrollment,
    Message,
    Order,
    Shop,
    Suppression,
    WebhookEvent,
)
from tests.support.db import count, rows
from tests.support.samples import sample
from tests.support.shopify import addressed_to, deliver
from tests.test_flows_shopify import checkout_payload, order_payload

HOUR = timedelta(hours=1)


@pytest.fixture
def shop(factory):
    shop = factory.shop(access_token_enc="encrypted-token", refresh_token_enc="encrypted-refresh")
    factory.enable(shop, "abandoned_checkout", "thank_you", "review_request")
    return shop


def redact_request(email="example@email.com", orders=(820982911946154500,)):
    payload = addressed_to(sample("shopify", "customers_redact__shopifydocs-2026-04"))
    payload["customer"] = {"id": 603851970716743400, "email": email, "phone": None}
    payload["orders_to_redact"] = list(orders)
    return payload


@pytest.fixture
def shopper_history(client, harness, shop):
    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    deliver(client, "orders/paid", order_payload(harness.clock, checkout_token="other-checkout"))
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))


def test_a_data_request_exports_what_we_hold_on_the_customer(app, client, harness, shopper_history):
    payload = addressed_to(sample("shopify", "customers_data_request__shopifydocs-2026-04"))
    payload["customer"]["email"] = "example@email.com"

    deliver(client, "customers/data_request", payload)
    harness.drain()

    (export,) = rows(app, DataExport)
    assert export.reference == "9999"
    assert export.payload["contacts"][0]["email"] == "example@email.com"
    assert {m["flow"] for m in export.payload["messages"]} == {"thank_you"}


def test_customer_redact_erases_contact_checkouts_orders_messages_and_events(
    app, client, harness, shopper_history
):
    deliver(client, "customers/redact", redact_request())
    harness.drain()

    assert count(app, Contact) == 0
    assert count(app, Checkout) == 0
    assert count(app, Order) == 0
    assert count(app, Message) == 0
    assert count(app, Enrollment) == 0
    remaining = rows(app, WebhookEvent)
    assert [e.topic for e in remaining] == ["customers/redact"]
    assert "example@email.com" not in remaining[0].body


def test_customer_redact_leaves_other_customers_alone(app, client, harness, shopper_history):
    other = checkout_payload(harness.clock, token="t2", email="other@example.com", customer=None)
    deliver(client, "checkouts/create", other)
    harness.drain()

    deliver(client, "customers/redact", redact_request())
    harness.drain()

    assert [c.email for c in rows(app, Contact)] == ["other@example.com"]
    assert [c.token for c in rows(app, Checkout)] == ["t2"]


def test_an_opt_out_outlives_the_erased_profile(app, client, harness, shop, factory):
    factory.session.add(
        Suppression(shop_id=shop.id, channel="email", address="example@email.com", reason="unsubscribed")
    )
    factory.session.commit()

    deliver(client, "customers/redact", redact_request())
    harness.drain()

    assert count(app, Suppression) == 1


def test_shop_redact_erases_everything_of_the_shop(app, client, harness, shop, shopper_history, factory):
    other = factory.shop(domain="other-shop.myshopify.com")
    deliver(client, "shop/redact", addressed_to(sample("shopify", "shop_redact__shopifydocs-2026-04")))
    harness.drain()

    assert [s.domain for s in rows(app, Shop)] == [other.domain]
    for model in (Contact, Checkout, Order, Message, Enrollment, WebhookEvent):
        assert count(app, model) == 0


def test_uninstall_discards_tokens_and_stops_enrollments(app, client, harness, shop):
    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    harness.drain()

    deliver(
        client, "app/uninstalled", addressed_to(sample("shopify", "app_uninstalled__shopifydocs-2026-04"))
    )
    harness.drain()
    harness.advance(48 * HOUR)

    (stored,) = rows(app, Shop)
    assert stored.uninstalled_at is not None
    assert (stored.access_token_enc, stored.refresh_token_enc) == (None, None)
    assert rows(app, Enrollment)[0].state == "cancelled"
    assert count(app, Message) == 0


def test_events_stored_before_the_uninstall_are_not_acted_on(app, client, harness, shop):
    deliver(
        client, "app/uninstalled", addressed_to(sample("shopify", "app_uninstalled__shopifydocs-2026-04"))
    )
    harness.drain()
    with app.app_context():
        from app.db import db

        db.session.add(
            WebhookEvent(
                shop_id=shop.id,
                platform="shopify",
                topic="checkouts/create",
                event_id="late",
                body='{"token": "late-checkout", "email": "a@b.c", "buyer_accepts_marketing": true}',
            )
        )
        db.session.commit()
    harness.drain()

    assert rows(app, WebhookEvent, event_id="late")[0].status == "ignored"
    assert count(app, Enrollment) == 0


def test_an_uninstall_from_before_a_reinstall_is_ignored(app, client, harness, shop):
    triggered_before_install = (harness.clock.now() - HOUR).isoformat()

    deliver(
        client,
        "app/uninstalled",
        addressed_to(sample("shopify", "app_uninstalled__shopifydocs-2026-04")),
        **{"X-Shopify-Triggered-At": triggered_before_install},
    )
    harness.drain()

    (stored,) = rows(app, Shop)
    assert stored.uninstalled_at is None
    assert stored.access_token_enc == "encrypted-token"
