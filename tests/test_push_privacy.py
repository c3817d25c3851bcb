"""A customer's data export lists the browsers that allowed push; erasing the customer forgets them."""

from __future__ import annotations

import pytest

from app.db import db
from app.db.models import DataExport, PushSubscription, Shop, Visitor
from tests.support.db import rows
from tests.support.samples import sample
from tests.support.shopify import addressed_to, deliver
from tests.support.storefront import visitor_id

EMAIL = "example@email.com"
FCM = "https://fcm.googleapis.com/fcm/send/"


@pytest.fixture
def shop(factory) -> Shop:
    return factory.shop()


def subscribed(app, shop: Shop, factory, email: str) -> None:
    """A contact with two subscriptions: one made while known, one by a browser linked to them later."""
    contact = factory.contact(shop, email=email, platform_customer_id=None)
    browser = visitor_id()
    with app.app_context():
        db.session.add(
            Visitor(shop_id=shop.id, visitor_key=browser, contact_id=contact.id, linked_by="click")
        )
        for n, (owner, key) in enumerate(((contact.id, visitor_id()), (None, browser))):
            db.session.add(
                PushSubscription(
                    shop_id=shop.id,
                    visitor_key=key,
                    contact_id=owner,
                    endpoint=f"{FCM}{email}-{n}",
                    p256dh="p" * 87,
                    auth="a" * 22,
                    timezone="Europe/Paris",
                )
            )
        db.session.commit()


def test_a_data_request_lists_the_customers_push_subscriptions(app, client, harness, shop, factory):
    subscribed(app, shop, factory, EMAIL)
    payload = addressed_to(sample("shopify", "customers_data_request__shopifydocs-2026-04"))
    payload["customer"]["email"] = EMAIL

    deliver(client, "customers/data_request", payload)
    harness.drain()

    (export,) = rows(app, DataExport)
    assert [s["endpoint"] for s in export.payload["push_subscriptions"]] == [
        f"{FCM}{EMAIL}-0",
        f"{FCM}{EMAIL}-1",
    ]


def test_erasing_a_customer_forgets_their_push_subscriptions_only(app, client, harness, shop, factory):
    subscribed(app, shop, factory, EMAIL)
    subscribed(app, shop, factory, "other@example.com")
    payload = addressed_to(sample("shopify", "customers_redact__shopifydocs-2026-04"))
    payload["customer"] = {"id": 603851970716743400, "email": EMAIL, "phone": None}
    payload["orders_to_redact"] = []

    deliver(client, "customers/redact", payload)
    harness.drain()

    assert sorted(s.endpoint for s in rows(app, PushSubscription)) == [
        f"{FCM}other@example.com-0",
        f"{FCM}other@example.com-1",
    ]
