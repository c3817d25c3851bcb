"""The admin's Deliveries page: the shop's webhooks set aside (rejected or quarantined), each with
its reason and a replay button; one shop never sees or replays another's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db.models import Message, Shop, WebhookEvent
from tests.support.admin import log_in
from tests.support.db import rows
from tests.support.factories import Factory
from tests.support.poison import CONSTRAINT, POISONED_EMAIL, RETRY_DELAYS, BrokenCheckouts, poisoned_checkout
from tests.support.shopify import deliver

HOUR = timedelta(hours=1)


@pytest.fixture
def shop(factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    return shop


@pytest.fixture
def broken(app):
    checkouts = BrokenCheckouts(app)
    checkouts.break_it()
    yield checkouts
    checkouts.fix()


def quarantine_poisoned(app, client, harness) -> WebhookEvent:
    """Deliver the poisoned checkout and let every retry fail."""
    assert deliver(client, "checkouts/create", poisoned_checkout(harness.clock)).status_code == 200
    harness.drain()
    for delay in RETRY_DELAYS:
        harness.advance(delay)
    (event,) = rows(app, WebhookEvent)
    assert event.status == "quarantined"
    return event


def set_aside(factory: Factory, shop: Shop, event_id: str, reason: str) -> WebhookEvent:
    """Store an event of the shop as the worker leaves one it gave up on."""
    event = WebhookEvent(
        shop_id=shop.id,
        platform=shop.platform,
        topic="checkouts/create",
        event_id=event_id,
        body="{}",
        status="quarantined",
        attempts=5,
        error=reason,
        processed_at=factory.clock.now(),
    )
    factory.session.add(event)
    factory.session.commit()
    return event


def status_of(app, event_id: int) -> str:
    (event,) = rows(app, WebhookEvent, id=event_id)
    return event.status


def test_the_page_lists_the_shops_quarantined_deliveries_with_their_reason(
    app, client, harness, shop, broken
):
    event = quarantine_poisoned(app, client, harness)
    log_in(client, shop.id)

    page = client.get("/admin/deliveries")

    assert page.status_code == 200
    assert "checkouts/create" in page.text
    assert "Quarantined after 5 attempts" in page.text
    assert CONSTRAINT in page.text
    assert f'action="/admin/deliveries/{event.id}/replay"' in page.text


def test_the_replay_button_hands_it_back_and_the_shopper_gets_their_message(
    app, client, harness, shop, broken
):
    event = quarantine_poisoned(app, client, harness)
    broken.fix()
    csrf = log_in(client, shop.id)

    answer = client.post(f"/admin/deliveries/{event.id}/replay", data={"csrf_token": csrf})
    harness.drain()
    harness.advance(HOUR)

    assert answer.status_code == 303
    assert status_of(app, event.id) == "processed"
    assert [m.to_address for m in rows(app, Message, status="sent")] == [POISONED_EMAIL]
    assert "Nothing was set aside" in client.get("/admin/deliveries").text


def test_a_replay_without_its_csrf_token_is_refused(app, client, factory, shop):
    event = set_aside(factory, shop, "e1", "KeyError: 'bogus'")
    log_in(client, shop.id)

    answer = client.post(f"/admin/deliveries/{event.id}/replay")

    assert answer.status_code == 400
    assert status_of(app, event.id) == "quarantined"


def test_another_shops_delivery_is_not_listed_and_answers_404(app, client, factory, shop):
    other = factory.shop(domain="other-shop.myshopify.com")
    theirs = set_aside(factory, other, "e1", "KeyError: 'theirs'")
    csrf = log_in(client, shop.id)

    page = client.get("/admin/deliveries")
    answer = client.post(f"/admin/deliveries/{theirs.id}/replay", data={"csrf_token": csrf})

    assert "theirs" not in page.text
    assert answer.status_code == 404
    assert status_of(app, theirs.id) == "quarantined"


def test_replay_all_replays_only_this_shops_deliveries(app, client, factory, shop):
    other = factory.shop(domain="other-shop.myshopify.com")
    ours = [set_aside(factory, shop, f"e{n}", "KeyError: 'ours'") for n in range(2)]
    theirs = set_aside(factory, other, "e9", "KeyError: 'theirs'")
    csrf = log_in(client, shop.id)

    answer = client.post(
        "/admin/deliveries/replay", data={"csrf_token": csrf, "confirmed": "yes"}, follow_redirects=True
    )

    assert "2 deliveries will be processed again" in answer.text
    assert [status_of(app, event.id) for event in ours] == ["pending", "pending"]
    assert status_of(app, theirs.id) == "quarantined"


def test_replay_all_asks_first_saying_how_many_and_replays_nothing(app, client, factory, shop):
    waiting = [set_aside(factory, shop, f"e{n}", "KeyError: 'ours'") for n in range(3)]
    csrf = log_in(client, shop.id)

    answer = client.post("/admin/deliveries/replay", data={"csrf_token": csrf})

    assert answer.status_code == 200
    assert answer.headers["Storeflow-Confirmation"] == "1"
    assert "Replay 3 deliveries?" in answer.text
    assert "cannot be undone" in answer.text
    assert '<input type="hidden" name="confirmed" value="yes">' in answer.text
    assert [status_of(app, event.id) for event in waiting] == ["quarantined"] * 3


def test_the_replay_all_button_is_a_confirmed_action(client, factory, shop):
    set_aside(factory, shop, "e1", "KeyError: 'ours'")
    log_in(client, shop.id)

    page = client.get("/admin/deliveries").text

    assert 'action="/admin/deliveries/replay" data-confirm>' in page
