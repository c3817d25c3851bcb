"""Web push, end to end: a flow's push step → pywebpush → a local push service that checks the VAPID
token and decrypts the payload as the shopper's browser would; expired subscriptions are forgotten."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from py_vapid import Vapid02

from app.channels.outbox import OutboxChannel
from app.channels.registry import ChannelSet
from app.channels.web_push import WebPushChannel
from app.core.vapid import public_key_of
from app.db import db
from app.db.models import Contact, Message, PushSubscription, Shop
from app.messaging.sender import retry_delay
from tests.support.db import count, rows
from tests.support.fake_push import FakePushService, b64url
from tests.support.links import targets
from tests.support.outbox import not_sent, sent
from tests.support.storefront import batch, drain, post, proxied_post, visitor_id
from tests.support.stores import ShopifyStore, Shopper

ANN = Shopper("ann@example.com", "Ann", "1001")
SIGNER = Vapid02()
SIGNER.generate_keys()
PRIVATE_KEY = b64url(SIGNER.private_key.private_numbers().private_value.to_bytes(32, "big"))
PUBLIC_KEY = public_key_of(SIGNER)
SUBJECT = "mailto:shop@storeflow.test"
HOUR = timedelta(hours=1)
# The welcome series with only its push switched on; its two later waits shortened to an hour each.
PUSH_ONLY = {
    "steps": {"welcome_email": False, "discount_email": False, "preferences_email": False, "push": True},
    "delays": {"discount_delay": 3600, "preferences_delay": 3600},
}
PUSH_DUE = 2 * HOUR


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    with FakePushService(PUBLIC_KEY) as service:
        yield service


@pytest.fixture
def config_changes() -> dict[str, object]:
    return {"vapid_private_key": PRIVATE_KEY, "vapid_public_key": PUBLIC_KEY, "vapid_subject": SUBJECT}


@pytest.fixture
def channels(push_service: FakePushService) -> ChannelSet:
    return ChannelSet(email=OutboxChannel(), sms=OutboxChannel(), push=WebPushChannel(PRIVATE_KEY, SUBJECT))


@pytest.fixture
def shopify(client, harness) -> ShopifyStore:
    return ShopifyStore(client, harness)


def allows_push(app, shop: Shop, info: dict) -> None:
    """The subscribed shopper allowed notifications in their browser (stored as the endpoint would)."""
    with app.app_context():
        contact = db.session.query(Contact).filter_by(shop_id=shop.id, email=ANN.email).one()
        db.session.add(
            PushSubscription(
                shop_id=shop.id,
                visitor_key="v" * 32,
                contact_id=contact.id,
                endpoint=info["endpoint"],
                p256dh=info["keys"]["p256dh"],
                auth=info["keys"]["auth"],
            )
        )
        db.session.commit()


def until_push_due(harness, start) -> None:
    """Let the flow run hour by hour until its push is due."""
    while harness.clock.now() < start + PUSH_DUE:
        harness.advance(HOUR)


def welcome_with_push(app, shopify: ShopifyStore, factory, push_service: FakePushService | None) -> Shop:
    shop = shopify.shop(factory)
    factory.enable(shop, "welcome_series", welcome_series=PUSH_ONLY)
    shopify.subscribe(ANN)
    if push_service is not None:
        allows_push(app, shop, push_service.subscribe())
    return shop


def test_a_flow_push_reaches_the_push_service_signed_and_encrypted(
    app, client, shopify, factory, harness, push_service
):
    # given
    start = harness.clock.now()
    welcome_with_push(app, shopify, factory, push_service)

    # when
    until_push_due(harness, start)

    # then the push service verified the VAPID token and the browser could decrypt the payload
    assert push_service.refused == []
    (delivery,) = push_service.deliveries
    assert delivery.claims["sub"] == SUBJECT
    assert delivery.claims["aud"] == push_service.url
    (message,) = rows(app, Message, channel="push")
    assert delivery.payload == {
        "title": "Welcome to Demo Shop",
        "body": "Thanks for joining us, Ann.",
        "url": delivery.payload["url"],
        "ref": str(message.id),
    }
    (target,) = targets(client, delivery.payload["url"])
    assert target.startswith("https://shop.demo.test?sf_c=")  # a tap links the browser to Ann
    assert (message.status, message.provider, message.subject) == ("sent", "webpush", "Welcome to Demo Shop")
    assert sent(app, start) == [("welcome_series", "push", "welcome_push", PUSH_DUE)]


def test_the_push_service_is_told_how_long_to_keep_the_message(
    app, client, shopify, factory, harness, push_service
):
    start = harness.clock.now()
    welcome_with_push(app, shopify, factory, push_service)

    until_push_due(harness, start)

    (delivery,) = push_service.deliveries
    assert delivery.headers["content-encoding"] == "aes128gcm"
    assert delivery.headers["ttl"] == str(24 * 3600)


@pytest.mark.parametrize("status", [404, 410])
def test_an_expired_subscription_is_removed_and_the_message_marked_failed(
    app, client, shopify, factory, harness, push_service, status
):
    # given the browser's subscription has expired at the push service
    start = harness.clock.now()
    welcome_with_push(app, shopify, factory, push_service)
    push_service.respond_with(status)

    # when
    until_push_due(harness, start)
    harness.advance(HOUR)

    # then it is not retried, and no later push will try it again
    assert len(push_service.refused) == 1
    assert count(app, PushSubscription) == 0
    assert not_sent(app) == [
        (
            "welcome_series",
            "welcome_push",
            "failed",
            f"push service answered {status}: the browser subscription has expired",
        )
    ]


def test_a_push_service_failure_is_retried_with_backoff(app, client, shopify, factory, harness, push_service):
    start = harness.clock.now()
    welcome_with_push(app, shopify, factory, push_service)
    push_service.respond_with(503)

    until_push_due(harness, start)
    harness.advance(retry_delay(1))

    (message,) = rows(app, Message, channel="push")
    assert (message.status, message.attempts) == ("sent", 2)
    assert len(push_service.deliveries) == 1
    assert count(app, PushSubscription) == 1


def test_a_push_step_is_skipped_for_a_shopper_without_a_subscription(
    app, client, shopify, factory, harness, push_service
):
    start = harness.clock.now()
    welcome_with_push(app, shopify, factory, None)

    until_push_due(harness, start)

    assert push_service.deliveries == []
    assert not_sent(app) == [("welcome_series", "welcome_push", "skipped", "no push subscription")]


def test_push_steps_are_off_until_the_merchant_switches_them_on(
    app, client, shopify, factory, harness, push_service
):
    shop = shopify.shop(factory)
    factory.enable(shop, "welcome_series")
    shopify.subscribe(ANN)
    allows_push(app, shop, push_service.subscribe())

    harness.advance(timedelta(days=4))

    assert push_service.deliveries == []
    assert count(app, Message, channel="push") == 0


def test_a_push_waits_for_the_shoppers_morning(app, client, shopify, factory, harness, push_service):
    # given a shopper in Los Angeles, whose push is due at 14:00 UTC (06:00 there)
    start = harness.clock.now()
    shop = welcome_with_push(app, shopify, factory, push_service)
    with app.app_context():
        contact = db.session.query(Contact).filter_by(shop_id=shop.id, email=ANN.email).one()
        contact.timezone = "America/Los_Angeles"
        db.session.commit()

    # when
    until_push_due(harness, start)
    held = list(push_service.deliveries)
    harness.advance_to(start + 4 * HOUR)  # 08:00 in Los Angeles

    # then it goes at 08:00 their time, the default push window's start
    assert held == []
    assert sent(app, start) == [("welcome_series", "push", "welcome_push", 4 * HOUR)]
    (message,) = rows(app, Message, channel="push")
    assert message.timeline[1]["detail"] == (
        "push window (08:00-21:00 America/Los_Angeles, contact): deferred to 08:00"
    )


def anonymous_subscription(app, shop: Shop, visitor: str, info: dict) -> None:
    """A browser allowed push before anyone knew whose it is (stored as the endpoint would)."""
    with app.app_context():
        db.session.add(
            PushSubscription(
                shop_id=shop.id,
                visitor_key=visitor,
                endpoint=info["endpoint"],
                p256dh=info["keys"]["p256dh"],
                auth=info["keys"]["auth"],
            )
        )
        db.session.commit()


def test_a_subscription_made_before_the_shopper_was_known_reaches_them_once_linked(
    app, client, shopify, factory, harness, push_service
):
    # given a browser that allowed push while anonymous
    start = harness.clock.now()
    shop = welcome_with_push(app, shopify, factory, None)
    visitor = visitor_id()
    anonymous_subscription(app, shop, visitor, push_service.subscribe())

    # when the shopper logs in on that browser (Shopify's app proxy signs who is logged in)
    proxied_post(client, batch(visitor), logged_in_customer_id=ANN.customer_id)
    drain(app)
    until_push_due(harness, start)

    # then the flow's push reaches that browser
    assert len(push_service.deliveries) == 1
    assert sent(app, start) == [("welcome_series", "push", "welcome_push", PUSH_DUE)]


def test_a_page_that_names_a_customer_does_not_get_their_pushes(
    app, client, shopify, factory, harness, push_service
):
    # given an attacker's browser that allowed push, then posted events naming Ann's customer id
    start = harness.clock.now()
    shop = welcome_with_push(app, shopify, factory, None)
    attacker = visitor_id()
    anonymous_subscription(app, shop, attacker, push_service.subscribe())
    post(client, shop.storefront_key, batch(attacker, customer_id=ANN.customer_id))
    drain(app)

    # when Ann's push is due
    until_push_due(harness, start)

    # then nothing reaches the attacker's browser (issue 14.2: a bare claim links nobody)
    assert push_service.deliveries == []
    assert not_sent(app) == [("welcome_series", "welcome_push", "skipped", "no push subscription")]
