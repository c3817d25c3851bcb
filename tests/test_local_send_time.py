"""Local send time on every channel: windows per shop and channel, in the shopper's own time zone
(theirs, else their browser's, else their country's, else the shop's), deferred and never dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.db.models import Message
from app.messaging.local_time import zone_of_country
from tests.support.admin import log_in
from tests.support.db import rows
from tests.support.outbox import sent
from tests.support.storefront import batch, drain, proxied_post, visitor_id
from tests.support.stores import Line, ShopifyStore, Shopper

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
EMAIL_WINDOW = {"send_windows": {"email": {"start": "08:00", "end": "21:00"}}}
TOKYO_ADDRESS = {"default_address": {"country_code": "JP", "city": "Tokyo", "default": True}}


@pytest.fixture
def shopify(client, harness) -> ShopifyStore:
    return ShopifyStore(client, harness)


def test_a_marketing_email_waits_for_the_window_in_the_shoppers_country(app, shopify, factory, harness):
    # given a shop that emails 08:00-21:00, and a shopper in Japan (known only by their address)
    shop = shopify.shop(factory, settings=EMAIL_WINDOW)
    factory.enable(shop, "welcome_series")
    start = harness.clock.now()  # 12:00 UTC: 21:00 in Tokyo

    # when they subscribe
    shopify.subscribe(Shopper("aki@example.com", "Aki", "2001", extra=TOKYO_ADDRESS))
    harness.advance_to(datetime(2026, 11, 26, 22, 59, tzinfo=UTC))
    held = sent(app, start)
    harness.advance_to(datetime(2026, 11, 26, 23, 0, tzinfo=UTC))  # 08:00 in Tokyo

    # then the welcome waits for their morning, and is not dropped
    assert held == []
    assert sent(app, start) == [("welcome_series", "email", "welcome_1", 11 * HOUR)]
    (message,) = rows(app, Message)
    assert (
        message.timeline[1]["detail"] == "email window (08:00-21:00 Asia/Tokyo, country): deferred to 08:00"
    )


def test_the_zone_the_shoppers_browser_reports_sets_their_hours(app, client, shopify, factory, harness):
    # given the welcome email an hour after subscribing, and a shopper whose browser is in Auckland
    shop = shopify.shop(factory, settings=EMAIL_WINDOW)
    factory.enable(shop, "welcome_series", welcome_series={"delays": {"delay": 3600}})
    start = harness.clock.now()
    ann = Shopper("ann@example.com", "Ann", "1001")
    shopify.subscribe(ann)
    proxied_post(
        client, batch(visitor_id(), timezone="Pacific/Auckland"), logged_in_customer_id=ann.customer_id
    )
    drain(app)

    # when the email is due at 13:00 UTC, 02:00 in Auckland
    harness.advance(HOUR)
    harness.advance_to(datetime(2026, 11, 26, 19, 0, tzinfo=UTC))  # 08:00 in Auckland

    # then it goes at 08:00 their time
    assert sent(app, start) == [("welcome_series", "email", "welcome_1", 7 * HOUR)]
    (message,) = rows(app, Message)
    assert "Pacific/Auckland, browser" in message.timeline[1]["detail"]


def test_email_goes_at_any_hour_unless_the_merchant_sets_a_window(app, shopify, factory, harness):
    shop = shopify.shop(factory)
    factory.enable(shop, "welcome_series")
    start = harness.clock.now()

    shopify.subscribe(Shopper("aki@example.com", "Aki", "2001", extra=TOKYO_ADDRESS))

    assert sent(app, start) == [("welcome_series", "email", "welcome_1", timedelta(0))]


def test_a_transactional_email_never_waits_for_the_window(app, shopify, factory, harness):
    # given a shop in Tokyo that emails 08:00-21:00
    shop = shopify.shop(factory, settings=EMAIL_WINDOW, timezone="Asia/Tokyo")
    factory.enable(shop, "thank_you")
    start = harness.clock.now()

    # when an order is paid at 21:00 Tokyo time
    shopify.order(
        Shopper("bo@example.com", "Bo", "1009"), 900, [Line("1", "11", "Canvas tote", "24.00")], "paid"
    )
    harness.advance(5 * MINUTE)

    # then the receipt goes at once
    assert sent(app, start) == [("thank_you", "email", "thank_you", 5 * MINUTE)]


@pytest.mark.parametrize(
    ("country", "zone"),
    [("FR", "Europe/Paris"), ("jp", "Asia/Tokyo"), ("GB", "Europe/London"), ("US", None), ("AU", None)],
)
def test_a_country_names_a_zone_only_when_it_keeps_one_time(country, zone):
    found = zone_of_country(country)

    assert (found.key if found else None) == zone


@pytest.mark.parametrize("country", [None, "", "XX", "FRA"])
def test_an_unknown_country_names_no_zone(country):
    assert zone_of_country(country) is None


def test_the_merchant_sets_email_and_push_windows_in_settings(app, client, factory):
    shop = factory.shop()
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/settings/limits",
        data={
            "csrf_token": csrf,
            "email_window_start": "09:00",
            "email_window_end": "20:00",
            "push_window_start": "10:00",
            "push_window_end": "19:30",
        },
    )

    assert response.status_code == 303
    (saved,) = rows(app, type(shop))
    assert saved.settings["send_windows"] == {
        "email": {"start": "09:00", "end": "20:00"},
        "push": {"start": "10:00", "end": "19:30"},
    }


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"email_window_start": "09:00"}, "Give the email window as two times of day"),
        (
            {"push_window_start": "25:00", "push_window_end": "08:00"},
            "Give the push window as two times of day",
        ),
        ({"push_window_start": "08:00", "push_window_end": "08:00"}, "must start and end at different times"),
    ],
)
def test_an_unusable_window_is_refused(app, client, factory, form, message):
    shop = factory.shop()
    csrf = log_in(client, shop.id)

    response = client.post("/admin/settings/limits", data={"csrf_token": csrf, **form})

    assert response.status_code == 400
    assert message in response.text
    (saved,) = rows(app, type(shop))
    assert "send_windows" not in (saved.settings or {})
