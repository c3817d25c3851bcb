"""The storefront's push signup: the key browsers subscribe with, and the subscriptions they hand us.

Every refusal is a clear 4xx; a subscription pointing anywhere but a known push service is refused,
because our workers will post to it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.db import db
from app.db.models import ConsentChange, Contact, PushSubscription, Shop, Visitor
from app.push.subscriptions import latest_subscription
from tests.support.db import count, rows
from tests.support.fake_push import b64url
from tests.support.storefront import STOREFRONT, drain, proxied_post, visitor_id
from tests.test_web_push import PRIVATE_KEY, PUBLIC_KEY

FCM = "https://fcm.googleapis.com/fcm/send/dGVzdC1zdWJzY3JpcHRpb24"
MOZILLA = "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABm"


@pytest.fixture
def config_changes() -> dict[str, object]:
    return {"vapid_private_key": PRIVATE_KEY, "vapid_public_key": PUBLIC_KEY}


@pytest.fixture
def shop(factory) -> Shop:
    return factory.shop(storefront_url=STOREFRONT)


def browser_keys() -> dict[str, str]:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {"p256dh": b64url(point), "auth": b64url(b"0123456789abcdef")}


def body(visitor: str | None = None, endpoint: str = FCM, **fields: Any) -> dict[str, Any]:
    """What the snippet posts once the shopper allowed notifications."""
    return {
        "visitor": visitor or visitor_id(),
        "subscription": {"endpoint": endpoint, "expirationTime": None, "keys": browser_keys()},
        "timezone": "Europe/Paris",
        **fields,
    }


def post(
    client,
    shop: Shop,
    data: dict[str, Any] | bytes,
    origin: str | None = STOREFRONT,
    path: str = "",
    user_agent: str = "",
):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    headers = {"Content-Type": "text/plain", "User-Agent": user_agent}
    if origin is not None:
        headers["Origin"] = origin
    return client.post(f"/storefront/push{path}?k={shop.storefront_key}", data=raw, headers=headers)


def test_the_key_browsers_subscribe_with_is_published(client, shop):
    response = client.get(f"/storefront/push/key?k={shop.storefront_key}", headers={"Origin": STOREFRONT})

    assert response.status_code == 200
    assert response.json["public_key"] == PUBLIC_KEY
    assert response.headers["Access-Control-Allow-Origin"] == STOREFRONT


def test_a_subscription_from_the_shops_storefront_is_stored(app, client, shop):
    # given
    sent = body()

    # when
    response = post(client, shop, sent)

    # then
    assert response.status_code == 201
    assert response.json == {"status": "subscribed"}
    assert response.headers["Access-Control-Allow-Origin"] == STOREFRONT
    (stored,) = rows(app, PushSubscription)
    keys = sent["subscription"]["keys"]
    assert (stored.shop_id, stored.visitor_key, stored.endpoint) == (shop.id, sent["visitor"], FCM)
    assert (stored.p256dh, stored.auth, stored.timezone) == (keys["p256dh"], keys["auth"], "Europe/Paris")
    assert stored.contact_id is None


def test_a_subscription_is_linked_to_the_contact_its_browser_is_known_as(app, client, shop, factory):
    contact = factory.contact(shop, email="ann@example.com")
    visitor = visitor_id()
    with app.app_context():
        db.session.add(
            Visitor(shop_id=shop.id, visitor_key=visitor, contact_id=contact.id, linked_by="click")
        )
        db.session.commit()

    post(client, shop, body(visitor))

    (stored,) = rows(app, PushSubscription)
    assert stored.contact_id == contact.id


def test_a_subscription_is_not_linked_to_a_customer_a_page_merely_named(app, client, shop, factory):
    # the attack of issue 14.2: events naming Ann's customer id, then a push signup from that browser
    ann = factory.contact(shop, email="ann@example.com", platform_customer_id="1001")
    attacker = visitor_id()
    events = {
        "visitor": attacker,
        "events": [{"type": "product_viewed", "product_id": "1"}],
        "customer_id": "1001",
    }
    client.post(
        f"/storefront/events?k={shop.storefront_key}",
        data=json.dumps(events),
        headers={"Content-Type": "text/plain", "Origin": STOREFRONT},
    )
    drain(app)

    post(client, shop, body(attacker))

    (stored,) = rows(app, PushSubscription)
    assert stored.contact_id is None
    with app.app_context():
        assert latest_subscription(db.session(), db.session.get_one(Contact, ann.id)) is None


def test_a_subscription_is_linked_once_shopify_signs_who_is_logged_in(app, client, shop, factory):
    ann = factory.contact(shop, email="ann@example.com", platform_customer_id="1001")
    visitor = visitor_id()
    proxied_post(
        client, {"visitor": visitor, "events": [{"type": "product_viewed", "product_id": "1"}]}, "1001"
    )
    drain(app)

    post(client, shop, body(visitor))

    assert rows(app, PushSubscription)[0].contact_id == ann.id


def known_visitor(app, shop: Shop, contact_id: int) -> str:
    visitor = visitor_id()
    with app.app_context():
        db.session.add(
            Visitor(shop_id=shop.id, visitor_key=visitor, contact_id=contact_id, linked_by="click")
        )
        db.session.commit()
    return visitor


def push_ledger(app) -> list[tuple[str, str | None, str, str, str | None]]:
    return [(c.channel, c.previous, c.state, c.source, c.user_agent) for c in rows(app, ConsentChange)]


def test_a_known_shoppers_signup_and_withdrawal_are_written_to_the_consent_ledger(app, client, shop, factory):
    visitor = known_visitor(app, shop, factory.contact(shop, email="ann@example.com").id)

    post(client, shop, body(visitor, endpoint=MOZILLA), user_agent="Firefox/140")
    post(client, shop, body(visitor, endpoint=MOZILLA), user_agent="Firefox/140")
    post(client, shop, {"visitor": visitor, "endpoint": MOZILLA}, path="/unsubscribe")

    assert push_ledger(app) == [
        ("push", "unsubscribed", "subscribed", "storefront:push_signup", "Firefox/140"),
        ("push", "subscribed", "unsubscribed", "storefront:push_withdrawn", None),
    ]


def test_subscribing_again_refreshes_the_same_subscription(app, client, shop):
    visitor = visitor_id()
    post(client, shop, body(visitor))

    again = body(visitor, timezone="America/New_York")
    response = post(client, shop, again)

    assert response.status_code == 201
    (stored,) = rows(app, PushSubscription)
    assert (stored.p256dh, stored.timezone) == (again["subscription"]["keys"]["p256dh"], "America/New_York")


def test_a_time_zone_the_server_does_not_know_is_left_out(app, client, shop):
    response = post(client, shop, body(timezone="Mars/Olympus_Mons"))

    assert response.status_code == 201
    assert rows(app, PushSubscription)[0].timezone is None


def test_a_withdrawn_subscription_is_forgotten(app, client, shop):
    visitor = visitor_id()
    post(client, shop, body(visitor, endpoint=MOZILLA))

    response = post(client, shop, {"visitor": visitor, "endpoint": MOZILLA}, path="/unsubscribe")

    assert (response.status_code, response.json) == (200, {"status": "unsubscribed"})
    assert count(app, PushSubscription) == 0


def test_another_visitor_cannot_withdraw_a_subscription(app, client, shop):
    post(client, shop, body(endpoint=MOZILLA))

    response = post(client, shop, {"visitor": visitor_id(), "endpoint": MOZILLA}, path="/unsubscribe")

    assert response.json == {"status": "unknown"}
    assert count(app, PushSubscription) == 1


@pytest.mark.parametrize(("origin", "status"), [("https://evil.example", 403), (None, 403), ("null", 403)])
def test_a_post_from_a_page_that_is_not_the_shops_storefront_is_refused(app, client, shop, origin, status):
    response = post(client, shop, body(), origin=origin)

    assert response.status_code == status
    assert "is not a storefront of this shop" in response.json["error"]
    assert count(app, PushSubscription) == 0


def test_an_unknown_storefront_key_is_refused(client, shop):
    response = client.post("/storefront/push?k=nope", data=json.dumps(body()), headers={"Origin": STOREFRONT})

    assert response.status_code == 404
    assert response.json == {"error": "no installed shop has this storefront key"}


def _bad_point() -> dict[str, Any]:
    sent = body()
    sent["subscription"]["keys"]["p256dh"] = b64url(b"\x04" + b"\x01" * 64)
    return sent


def _short_auth() -> dict[str, Any]:
    sent = body()
    sent["subscription"]["keys"]["auth"] = b64url(b"short")
    return sent


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        (b"not json", "body is not valid JSON"),
        (b"[1, 2]", "body is not a JSON object"),
        (body(visitor="short"), "visitor must be"),
        ({**body(), "subscription": "x"}, "subscription must be"),
        ({**body(), "subscription": {"endpoint": FCM}}, "subscription.keys must hold"),
        (body(endpoint="http://fcm.googleapis.com/fcm/send/x"), "must be an https URL"),
        (body(endpoint="https://fcm.googleapis.com:8443/fcm/send/x"), "on the default port"),
        (
            body(endpoint="https://169.254.169.254/latest/meta-data"),
            "169.254.169.254 is not a known push service",
        ),
        (body(endpoint="https://fcm.googleapis.com.evil.example/x"), "is not a known push service"),
        (body(endpoint="https://user:pw@fcm.googleapis.com/x"), "must be an https URL"),
        (body(endpoint="https://fcm.googleapis.com/" + "x" * 1100), "at most 1024 characters"),
        (body(endpoint=7), "must be a URL"),
        (_bad_point(), "p256dh is not a P-256 public key"),
        (_short_auth(), "auth must be 16 bytes"),
        (body(timezone=["Europe/Paris"]), "timezone must be an IANA zone name"),
    ],
)
def test_a_malformed_subscription_is_refused_with_the_reason(app, client, shop, sent, message):
    response = post(client, shop, sent)

    assert response.status_code == 400
    assert message in response.json["error"]
    assert count(app, PushSubscription) == 0


def test_an_oversized_body_is_refused(client, shop):
    response = post(client, shop, body(padding="x" * 5000))

    assert response.status_code == 413


def test_a_flood_of_subscriptions_from_one_address_is_slowed_down(client, shop):
    answers = [post(client, shop, body()).status_code for _ in range(11)]

    assert answers == [201] * 10 + [429]


@pytest.mark.parametrize("config_changes", [{"vapid_private_key": "", "vapid_public_key": ""}])
def test_a_deployment_without_vapid_keys_offers_no_push(client, shop):
    response = client.get(f"/storefront/push/key?k={shop.storefront_key}")

    assert response.status_code == 404
    assert "not configured" in response.json["error"]
