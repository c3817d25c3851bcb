"""SendGrid's signed Event Webhook: verified, applied once, in order, and acted on (suppressions)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import db
from app.db.models import Contact, Message, MessageEvent, Suppression
from tests.support.db import count, rows
from tests.support.messages import sent_message
from tests.support.sendgrid_events import event, post_events, public_key, signed_headers

EMAIL = "example@email.com"


@pytest.fixture
def config_changes() -> dict[str, object]:
    return {"sendgrid_webhook_public_key": public_key()}


@pytest.fixture
def message_id(app, factory, clock) -> int:
    shop = factory.shop()
    contact = factory.contact(shop, email=EMAIL, email_consent="subscribed")
    return sent_message(db.session, shop, contact, clock.now() - timedelta(minutes=5)).id


def message(app, message_id: int) -> Message:
    (row,) = rows(app, Message, id=message_id)
    return row


def statuses(app, message_id: int) -> list[str]:
    return [entry["status"] for entry in message(app, message_id).timeline]


def consent(app) -> str | None:
    with app.app_context():
        return db.session.scalars(select(Contact.email_consent)).one()


def suppressions(app) -> list[tuple[str, str, str]]:
    return [(s.channel, s.address, s.reason) for s in rows(app, Suppression)]


# --- verification --------------------------------------------------------------------------------


def test_a_signed_delivered_event_moves_the_message_to_delivered(app, client, message_id):
    response = post_events(client, [event("delivered", message_id)])

    assert response.status_code == 200
    assert response.json == {"status": "ok", "recorded": 1, "duplicates": 0, "unknown": 0, "ignored": 0}
    assert message(app, message_id).status == "delivered"
    assert statuses(app, message_id) == ["pending", "sent", "delivered"]


@pytest.mark.parametrize("reference", ["2147483648", "99999999999999999", "0"])
def test_an_event_naming_an_id_no_message_can_have_is_counted_unknown(app, client, message_id, reference):
    response = post_events(client, [event("delivered", reference)])

    assert response.status_code == 200
    assert response.json["recorded"] == 0
    assert count(app, MessageEvent) == 0


def test_an_event_id_holding_a_nul_is_recorded_without_it_like_every_string(app, client, message_id):
    response = post_events(client, [event("delivered", message_id, sg_event_id="abc\x00def")])

    assert response.status_code == 200
    (recorded,) = rows(app, MessageEvent)
    assert recorded.provider_event_id == "abcdef"


def test_an_event_id_too_long_to_store_is_recorded_under_a_digest_of_the_event(app, client, message_id):
    response = post_events(client, [event("delivered", message_id, sg_event_id="x" * 256)])

    assert response.status_code == 200
    (recorded,) = rows(app, MessageEvent)
    assert recorded.provider_event_id.startswith("sha256:")


def test_an_event_signed_with_another_key_is_rejected_and_changes_nothing(app, client, message_id):
    response = post_events(client, [event("delivered", message_id)], key="attacker")

    assert response.status_code == 401
    assert "does not match" in response.json["error"]
    assert message(app, message_id).status == "sent"
    assert count(app, MessageEvent) == 0


def test_a_tampered_body_is_rejected(app, client, message_id):
    body = json.dumps([event("delivered", message_id)]).encode()
    headers = signed_headers(body)
    tampered = body.replace(b'"delivered"', b'"spamreport"')

    response = client.post("/webhooks/sendgrid", data=tampered, headers=headers)

    assert response.status_code == 401
    assert count(app, MessageEvent) == 0
    assert suppressions(app) == []


def test_a_stale_timestamp_is_rejected_even_with_a_valid_signature(app, client, message_id):
    ten_minutes_ago = int(time.time()) - 600

    response = post_events(client, [event("delivered", message_id)], timestamp=ten_minutes_ago)

    assert response.status_code == 401
    assert "from now" in response.json["error"]
    assert message(app, message_id).status == "sent"


def test_a_post_without_signature_headers_is_rejected(app, client, message_id):
    response = client.post("/webhooks/sendgrid", json=[event("delivered", message_id)])

    assert response.status_code == 401
    assert count(app, MessageEvent) == 0


@pytest.mark.parametrize("config_changes", [{"sendgrid_webhook_public_key": ""}])
def test_every_post_is_rejected_while_no_key_is_configured(app, client, message_id):
    response = post_events(client, [event("delivered", message_id)])

    assert response.status_code == 401
    assert "SENDGRID_WEBHOOK_PUBLIC_KEY" in response.json["error"]


def test_a_body_that_is_not_an_array_of_events_is_refused(app, client, message_id):
    response = post_events(client, json.dumps({"event": "delivered"}).encode())

    assert response.status_code == 400


# --- dedupe, ordering, unknown messages ----------------------------------------------------------


def test_a_redelivered_event_is_applied_once(app, client, message_id):
    opened = event("open", message_id)

    first = post_events(client, [opened])
    second = post_events(client, [opened])

    assert (first.json["recorded"], second.json["recorded"], second.json["duplicates"]) == (1, 0, 1)
    assert count(app, MessageEvent) == 1
    assert statuses(app, message_id) == ["pending", "sent", "opened"]


def test_the_same_event_twice_in_one_post_counts_once(app, client, message_id):
    clicked = event("click", message_id, url="https://shop.example/")

    response = post_events(client, [clicked, clicked])

    assert (response.json["recorded"], response.json["duplicates"]) == (1, 1)
    assert count(app, MessageEvent) == 1


def test_a_late_delivered_after_an_open_does_not_move_the_message_back(app, client, message_id):
    post_events(client, [event("open", message_id)])

    post_events(client, [event("delivered", message_id)])

    assert message(app, message_id).status == "opened"
    assert statuses(app, message_id) == ["pending", "sent", "opened"]
    assert sorted(e.kind for e in rows(app, MessageEvent)) == ["delivered", "opened"]


def test_events_in_one_post_apply_in_the_order_they_happened(app, client, message_id):
    now = int(time.time())
    clicked = event("click", message_id, timestamp=now, url="https://shop.example/")
    delivered = event("delivered", message_id, timestamp=now - 60)

    post_events(client, [clicked, delivered])

    assert statuses(app, message_id) == ["pending", "sent", "delivered", "clicked"]


def test_events_for_unknown_messages_are_acknowledged_and_dropped(app, client, message_id):
    response = post_events(client, [event("delivered", 999_999), event("open", "not-a-number")])

    assert response.status_code == 200
    assert (response.json["unknown"], response.json["ignored"]) == (1, 1)
    assert count(app, MessageEvent) == 0


def test_events_without_our_message_id_and_kinds_we_do_not_use_are_ignored(app, client, message_id):
    response = post_events(client, [event("delivered", None), event("processed", message_id)])

    assert (response.json["recorded"], response.json["ignored"]) == (0, 2)


def test_malformed_events_in_a_signed_post_are_ignored_not_crashed_on(app, client, message_id):
    malformed = [1, "open", event(["open"], message_id), event("open", message_id, timestamp="yesterday")]

    response = post_events(client, malformed)

    assert response.status_code == 200
    assert (response.json["recorded"], response.json["ignored"]) == (1, 3)


# --- what each kind does -------------------------------------------------------------------------


def test_a_hard_bounce_suppresses_the_address_and_keeps_consent(app, client, message_id):
    post_events(client, [event("bounce", message_id, type="bounce", reason="550 5.1.1 no such user")])

    assert message(app, message_id).status == "bounced"
    assert message(app, message_id).detail == "bounce: 550 5.1.1 no such user"
    assert suppressions(app) == [("email", EMAIL, "bounced")]
    assert consent(app) == "subscribed"


def test_a_blocked_bounce_is_recorded_without_suppressing(app, client, message_id):
    post_events(client, [event("bounce", message_id, type="blocked", reason="421 try again later")])

    assert message(app, message_id).status == "bounced"
    assert suppressions(app) == []


def test_a_dropped_message_is_marked_dropped(app, client, message_id):
    post_events(client, [event("dropped", message_id, reason="Invalid")])

    assert (message(app, message_id).status, message(app, message_id).detail) == ("dropped", "Invalid")


def test_a_spam_report_suppresses_and_withdraws_consent(app, client, message_id):
    post_events(client, [event("spamreport", message_id)])

    assert message(app, message_id).status == "complained"
    assert suppressions(app) == [("email", EMAIL, "spam_report")]
    assert consent(app) == "unsubscribed"


@pytest.mark.parametrize("kind", ["unsubscribe", "group_unsubscribe"])
def test_an_unsubscribe_suppresses_and_withdraws_consent(app, client, message_id, kind):
    post_events(client, [event(kind, message_id)])

    assert message(app, message_id).status == "unsubscribed"
    assert suppressions(app) == [("email", EMAIL, "unsubscribed")]
    with app.app_context():
        contact = db.session.scalars(select(Contact)).one()
        assert (contact.email_consent, contact.email_consent_source) == (
            "unsubscribed",
            "sendgrid:unsubscribed",
        )


def test_a_click_keeps_its_url(app, client, message_id):
    post_events(client, [event("click", message_id, url="https://shop.example/products/shirt")])

    (click,) = rows(app, MessageEvent)
    assert (click.kind, click.provider, click.url) == (
        "clicked",
        "sendgrid",
        "https://shop.example/products/shirt",
    )
