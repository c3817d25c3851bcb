"""A signed Shopify body acts only on the shop it names (issue 14.1).

Shopify's HMAC covers the body, never the headers, and every shop's deliveries are signed with the
same app secret. So a delivery captured from shop A and re-sent with shop B's ``X-Shopify-Shop-Domain``
(and any ``X-Shopify-Topic``) verifies. These tests replay real sample bodies, really signed, from
shop A with shop B's headers, and show that B is untouched.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db import db
from app.db.models import Checkout, Contact, DataExport, Message, Shop, WebhookEvent
from tests.support.db import count, rows
from tests.support.messages import sent_message
from tests.support.samples import sample
from tests.support.shopify import addressed_to, deliver

SHOP_A = "shop-a.myshopify.com"
SHOP_A_ID = "548380009"
SHOP_B = "shop-b.myshopify.com"
SHOP_B_ID = "954889"
SHOPPER = "john@example.com"


@pytest.fixture
def shops(factory, clock):
    """Two installed shops; B holds eleven contacts (one the shopper who also bought at A) with messages."""
    a = factory.shop(domain=SHOP_A, platform_shop_id=SHOP_A_ID, access_token_enc="token-a")
    b = factory.shop(domain=SHOP_B, platform_shop_id=SHOP_B_ID, access_token_enc="token-b")
    emails = [SHOPPER] + [f"shopper{n}@example.com" for n in range(10)]
    for email in emails:
        contact = factory.contact(b, email=email, email_consent="subscribed")
        sent_message(db.session, b, contact, clock.now() - timedelta(hours=1))
    db.session.commit()
    return a, b


def b_state(app) -> dict[str, object]:
    """What a replay must not change about shop B."""
    (b,) = rows(app, Shop, domain=SHOP_B)
    return {
        "installed": b.uninstalled_at is None,
        "token": b.access_token_enc,
        "contacts": count(app, Contact, shop_id=b.id),
        "messages": count(app, Message, shop_id=b.id),
        "exports": count(app, DataExport, shop_id=b.id),
        "checkouts": count(app, Checkout, shop_id=b.id),
        "shopper": [(c.email, c.email_consent) for c in rows(app, Contact, shop_id=b.id, email=SHOPPER)],
    }


def captured_from_a(topic: str) -> dict:
    """A real delivery body Shopify sent for shop A on ``topic``."""
    if topic == "checkouts/create":
        checkout = sample("shopify", "checkouts_create__shopifydocs-2026-04")
        checkout["abandoned_checkout_url"] = (
            f"https://{SHOP_A}/{SHOP_A_ID}/checkouts/ac/Z2NwLXVz/recover?key=0385163be3875d3a"
        )
        checkout["email"] = SHOPPER
        checkout["buyer_accepts_marketing"] = True
        return checkout
    name = topic.replace("/", "_") + "__shopifydocs-2026-04"
    return addressed_to(sample("shopify", name), SHOP_A, SHOP_A_ID)


UNTOUCHED = {
    "installed": True,
    "token": "token-b",
    "contacts": 11,
    "messages": 11,
    "exports": 0,
    "checkouts": 0,
    "shopper": [(SHOPPER, "subscribed")],
}

TOPICS = ["app/uninstalled", "shop/redact", "customers/redact", "customers/data_request", "checkouts/create"]


@pytest.mark.parametrize("topic", TOPICS)
def test_a_body_from_shop_a_replayed_for_shop_b_is_refused_and_b_is_untouched(
    app, client, harness, shops, topic
):
    response = deliver(client, topic, captured_from_a(topic), shop_domain=SHOP_B)
    harness.drain()

    assert b_state(app) == UNTOUCHED
    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


@pytest.mark.parametrize("captured", TOPICS)
@pytest.mark.parametrize("replayed_as", ["app/uninstalled", "shop/redact", "customers/redact"])
def test_no_body_of_shop_a_acts_as_a_destructive_topic_for_shop_b(
    app, client, harness, shops, captured, replayed_as
):
    response = deliver(client, replayed_as, captured_from_a(captured), shop_domain=SHOP_B)
    harness.drain()

    assert b_state(app) == UNTOUCHED
    assert response.status_code in (400, 401)


def test_an_uninstall_body_with_null_domains_is_bound_by_the_shop_id(app, client, harness, shops):
    body = captured_from_a("app/uninstalled")
    body["domain"] = body["myshopify_domain"] = None  # PLATFORMS.md: the domain may be null

    response = deliver(client, "app/uninstalled", body, shop_domain=SHOP_B)
    harness.drain()

    assert response.status_code == 401
    assert b_state(app) == UNTOUCHED


def test_the_shops_own_uninstall_with_null_domains_still_uninstalls_it(app, client, harness, shops):
    body = addressed_to(sample("shopify", "app_uninstalled__shopifydocs-2026-04"), SHOP_B, SHOP_B_ID)
    body["domain"] = body["myshopify_domain"] = None

    response = deliver(client, "app/uninstalled", body, shop_domain=SHOP_B)
    harness.drain()

    assert response.status_code == 200
    assert b_state(app)["installed"] is False


def test_the_shops_own_shop_redact_still_erases_it(app, client, harness, shops):
    body = addressed_to(sample("shopify", "shop_redact__shopifydocs-2026-04"), SHOP_B, SHOP_B_ID)

    response = deliver(client, "shop/redact", body, shop_domain=SHOP_B)
    harness.drain()

    assert response.status_code == 200
    assert [s.domain for s in rows(app, Shop)] == [SHOP_A]


def test_an_unnamed_uninstall_for_a_shop_whose_id_is_unknown_is_refused_when_processed(
    app, client, harness, factory
):
    legacy = factory.shop(domain=SHOP_B, access_token_enc="token-b")  # installed before ids were kept
    body = captured_from_a("app/uninstalled")
    body["domain"] = body["myshopify_domain"] = None

    deliver(client, "app/uninstalled", body, shop_domain=SHOP_B)
    harness.drain()

    (event,) = rows(app, WebhookEvent)
    assert event.status == "refused"
    assert "names no shop" in (event.error or "")
    (stored,) = rows(app, Shop, id=legacy.id)
    assert (stored.uninstalled_at, stored.access_token_enc) == (None, "token-b")


def test_a_compliance_body_binds_by_its_domain_while_the_shop_id_is_unknown(app, client, harness, factory):
    factory.shop(domain=SHOP_B)
    body = addressed_to(sample("shopify", "shop_redact__shopifydocs-2026-04"), SHOP_A, SHOP_A_ID)

    response = deliver(client, "shop/redact", body, shop_domain=SHOP_B)

    assert response.status_code == 401
    assert count(app, Shop, domain=SHOP_B) == 1


@pytest.mark.parametrize(
    ("body_of", "sent_as"),
    [
        ("checkouts_create__shopifydocs-2026-04", "orders/create"),
        ("orders_create__shopifydocs-2026-04", "checkouts/update"),
        ("orders_paid__shopifydocs-2026-04", "customers/update"),
        ("customers_create__shopifydocs-2026-04", "orders/paid"),
        ("checkouts_create__shopifydocs-2026-04", "carts/update"),
        ("customers_update__shopifydocs-2026-04", "customers_marketing_consent/update"),
        ("orders_create__rudderstack-devstore", "orders/cancelled"),
    ],
)
def test_a_body_is_refused_under_a_topic_whose_shape_it_does_not_have(app, client, shops, body_of, sent_as):
    response = deliver(client, sent_as, sample("shopify", body_of), shop_domain=SHOP_A)

    assert response.status_code == 400
    assert count(app, WebhookEvent) == 0


@pytest.mark.parametrize(
    ("body_of", "topic"),
    [
        ("checkouts_create__shopifydocs-2026-04", "checkouts/create"),
        ("checkouts_create__gadgetexemplar-2024-01", "checkouts/create"),
        ("checkouts_create__rudderstack-devstore", "checkouts/update"),
        ("checkouts_update__shopifydocs-2026-04", "checkouts/update"),
        ("carts_create__shopifydocs-2026-04", "carts/create"),
        ("carts_update__gadgetexemplar-2025-04", "carts/update"),
        ("orders_create__shopifydocs-2026-04", "orders/create"),
        ("orders_create__rudderstack-devstore", "orders/create"),
        ("orders_paid__gadgetexemplar-2025-04", "orders/paid"),
        ("orders_fulfilled__shopifydocs-2026-04", "orders/fulfilled"),
        ("orders_cancelled__shopifydocs-2026-04", "orders/cancelled"),
        ("customers_create__shopifydocs-2024-07", "customers/create"),
        ("customers_update__shopifydocs-2026-04", "customers/update"),
        (
            "customers_email_marketing_consent_update__shopifydocs-2026-04",
            "customers_email_marketing_consent/update",
        ),
        ("customers_marketing_consent_update__shopifydocs-2026-04", "customers_marketing_consent/update"),
    ],
)
def test_every_real_sample_is_accepted_under_its_own_topic(app, client, factory, body_of, topic):
    factory.shop(domain=SHOP_A)  # the samples come from several shops: this one's id is not known

    response = deliver(client, topic, sample("shopify", body_of), shop_domain=SHOP_A)

    assert response.status_code == 200, response.json


def test_an_order_whose_status_url_names_another_shop_is_refused(app, client, shops):
    order = sample("shopify", "orders_paid__shopifydocs-2026-04")
    order["order_status_url"] = f"https://{SHOP_A}/{SHOP_A_ID}/orders/123456abcd/authenticate?key=abcdefg"

    response = deliver(client, "orders/paid", order, shop_domain=SHOP_B)

    assert response.status_code == 401
    assert count(app, WebhookEvent) == 0


def test_an_order_whose_status_url_names_the_shop_itself_is_accepted(app, client, shops):
    order = sample("shopify", "orders_paid__shopifydocs-2026-04")
    order["order_status_url"] = (
        f"https://shop-b.example/{SHOP_B_ID}/orders/123456abcd/authenticate?key=abcdefg"
    )

    response = deliver(client, "orders/paid", order, shop_domain=SHOP_B)

    assert response.status_code == 200
