"""Catalogue alerts end to end on both platforms: "notify me" signups told in batches when the product
is back (Shopify inventory_levels/update, Saleor PRODUCT_VARIANT_BACK_IN_STOCK), price drops for
viewers, low stock for wishlisters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db.models import AlertWave, ConsentChange, Contact, Enrollment, ProductVariant, StockAlert
from tests.support.db import count, rows, watching_statements
from tests.support.outbox import bodies, sent
from tests.support.saleor import ALLOWLIST
from tests.support.storefront import STOREFRONT, batch, drain, our_link, post, visitor_id
from tests.support.stores import Shopper, Variant

HOUR = timedelta(hours=1)
OUR_ORIGIN = "https://storeflow.test"  # the hosted form is served from APP_URL
ANN = Shopper("ann@example.com", "Ann", "1001")


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


def signup(
    client,
    shop,
    product_id: str,
    email: str,
    variant_id: str = "",
    subscribe: bool = False,
    origin: str | None = STOREFRONT,
):
    """Post the "notify me" form as the storefront's page does (its Origin, unless told otherwise)."""
    data = {"email": email, "product_id": product_id, "variant_id": variant_id}
    if subscribe:
        data["subscribe"] = "on"
    headers = {"Origin": origin} if origin is not None else {}
    return client.post(f"/storefront/notify?k={shop.storefront_key}", data=data, headers=headers)


def shopper_visits(app, client, store, shop, shopper: Shopper, *events: dict) -> None:
    """The shopper's browser, arrived through one of our links, reports what they did; the worker
    stores it and tells the flows."""
    link = our_link(app, shop.id, shopper.email)
    response = post(client, shop.storefront_key, batch(visitor_id(), *events, link=link))
    assert response.status_code == 202, response.json
    drain(app)
    store.harness.drain()


def test_back_in_stock_tells_the_signups_in_batches(app, client, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "back_in_stock", back_in_stock={"params": {"batch_size": 2, "batch_minutes": 60}})
    lamp = Variant(store.variant_id(1), "80.00", 0)
    store.product(store.product_id(1), "Desk lamp", [lamp])
    for n in range(5):
        assert (
            signup(client, shop, store.product_id(1), f"s{n}@example.com", lamp.variant_id).status_code == 201
        )
    start = harness.clock.now()

    store.restock(store.product_id(1), "Desk lamp", Variant(lamp.variant_id, "80.00", 5))
    harness.advance_to(start + HOUR)
    harness.advance_to(start + 2 * HOUR)
    harness.advance_to(start + 3 * HOUR)

    assert [(flow, template, at) for flow, _, template, at in sent(app, start)] == [
        ("back_in_stock", "back_in_stock", timedelta(0)),
        ("back_in_stock", "back_in_stock", timedelta(0)),
        ("back_in_stock", "back_in_stock", HOUR),
        ("back_in_stock", "back_in_stock", HOUR),
        ("back_in_stock", "back_in_stock", 2 * HOUR),
    ]
    assert [m.to_address for m in bodies(app, "back_in_stock")] == [f"s{n}@example.com" for n in range(5)]
    (wave,) = rows(app, AlertWave)
    assert (wave.batches_sent, wave.finished_at) == (3, start + 3 * HOUR)


def test_the_batches_stop_when_the_product_sells_out_again(app, client, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "back_in_stock", back_in_stock={"params": {"batch_size": 2, "batch_minutes": 60}})
    lamp = Variant(store.variant_id(1), "80.00", 0)
    store.product(store.product_id(1), "Desk lamp", [lamp])
    for n in range(5):
        signup(client, shop, store.product_id(1), f"s{n}@example.com")
    start = harness.clock.now()

    store.restock(store.product_id(1), "Desk lamp", Variant(lamp.variant_id, "80.00", 2))
    harness.advance(30 * timedelta(minutes=1))
    store.product(store.product_id(1), "Desk lamp", [lamp])
    harness.advance_to(start + HOUR)
    harness.advance_to(start + 3 * HOUR)

    assert len(sent(app, start)) == 2
    assert count(app, StockAlert, notified_at=None) == 3
    assert rows(app, AlertWave)[0].finished_at == start + HOUR


def test_a_batch_of_the_wave_is_enrolled_in_one_statement_however_many_it_tells(
    app, client, store, factory, harness
):
    shop = store.shop(factory)
    factory.enable(shop, "back_in_stock", back_in_stock={"params": {"batch_size": 30, "batch_minutes": 60}})
    lamp = Variant(store.variant_id(1), "80.00", 0)
    store.product(store.product_id(1), "Desk lamp", [lamp])
    for n in range(30):  # from 30 browsers: the form allows an address only a few signups a minute
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n}"
        assert signup(client, shop, store.product_id(1), f"s{n}@example.com").status_code == 201
    with watching_statements(app) as sent:
        store.restock(store.product_id(1), "Desk lamp", Variant(lamp.variant_id, "80.00", 5))
    statements = sent.statements

    assert sum(1 for s in statements if s.startswith("INSERT INTO enrollment")) == 1
    assert count(app, Enrollment, flow_key="back_in_stock") == 30
    assert sorted(m.to_address for m in bodies(app, "back_in_stock")) == sorted(
        f"s{n}@example.com" for n in range(30)
    )


def test_the_signup_form_refuses_a_bad_address_with_a_clear_message(client, store, factory):
    shop = store.shop(factory)

    response = signup(client, shop, store.product_id(1), "not-an-address")

    assert response.status_code == 400
    assert response.json == {"error": "enter a valid email address"}


def test_the_hosted_form_shows_the_product_and_thanks_the_shopper(client, store, factory):
    shop = store.shop(factory)
    store.product(store.product_id(1), "Desk lamp", [Variant(store.variant_id(1), "80.00", 0)])

    page = client.get(f"/storefront/notify?k={shop.storefront_key}&product_id={store.product_id(1)}")
    done = client.post(
        f"/storefront/notify?k={shop.storefront_key}",
        data={"hosted": "1", "email": "ann@example.com", "product_id": store.product_id(1)},
        headers={"Origin": OUR_ORIGIN},
    )

    assert "Notify me when Desk lamp is available" in page.text
    assert '<label for="email">Email address</label>' in page.text
    assert done.status_code == 201
    assert "We'll email you as soon as Desk lamp is back in stock" in done.text


def test_a_price_drop_reaches_shoppers_who_viewed_the_product(app, client, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "price_drop")
    store.subscribe(ANN)
    store.product(store.product_id(1), "Desk lamp", [Variant(store.variant_id(1), "80.00", 10)])
    shopper_visits(
        app, client, store, shop, ANN, {"type": "product_viewed", "product_id": store.product_id(1)}
    )
    start = harness.clock.now()

    store.product(store.product_id(1), "Desk lamp", [Variant(store.variant_id(1), "60.00", 10)])

    assert sent(app, start) == [("price_drop", "email", "price_drop", timedelta(0))]
    (email,) = bodies(app, "price_drop")
    assert email.subject == "Price drop: Desk lamp is now $60.00"
    assert "it was $80.00, it's now $60.00 (25% off)" in email.body_text


def test_a_small_price_change_is_not_news(app, client, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "price_drop", price_drop={"params": {"min_drop_percent": 10}})
    store.subscribe(ANN)
    store.product(store.product_id(1), "Desk lamp", [Variant(store.variant_id(1), "80.00", 10)])
    shopper_visits(
        app, client, store, shop, ANN, {"type": "product_viewed", "product_id": store.product_id(1)}
    )

    store.product(store.product_id(1), "Desk lamp", [Variant(store.variant_id(1), "76.00", 10)])

    assert count(app, Enrollment) == 0


def test_low_stock_reaches_wishlisters(app, client, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "low_stock")
    store.subscribe(ANN)
    store.product(store.product_id(1), "Desk lamp", [Variant(store.variant_id(1), "80.00", 20)])
    shopper_visits(
        app, client, store, shop, ANN, {"type": "wishlist_added", "product_id": store.product_id(1)}
    )
    start = harness.clock.now()

    store.product(store.product_id(1), "Desk lamp", [Variant(store.variant_id(1), "80.00", 3)])

    assert sent(app, start) == [("low_stock", "email", "low_stock", timedelta(0))]
    (email,) = bodies(app, "low_stock")
    assert "nearly sold out: only 3 left" in email.body_text


def test_stock_set_after_a_product_update_is_the_stock_storeflow_holds(app, store, factory, harness):
    # a real Saleor 3.23 left available=100 here: its variant's updatedAt does not move with stock
    store.shop(factory)
    lamp = Variant(store.variant_id(1), "80.00", 100)
    store.product(store.product_id(1), "Desk lamp", [lamp])
    harness.advance(10 * timedelta(minutes=1))
    store.product(store.product_id(1), "Desk lamp", [Variant(lamp.variant_id, "75.00", 100)])
    harness.advance(10 * timedelta(minutes=1))

    store.set_stock(store.product_id(1), "Desk lamp", Variant(lamp.variant_id, "75.00", 0))

    (variant,) = rows(app, ProductVariant)
    assert variant.available == 0


def test_low_stock_after_a_product_update_reaches_wishlisters(app, client, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "low_stock")
    store.subscribe(ANN)
    lamp = Variant(store.variant_id(1), "80.00", 20)
    store.product(store.product_id(1), "Desk lamp", [lamp])
    shopper_visits(
        app, client, store, shop, ANN, {"type": "wishlist_added", "product_id": store.product_id(1)}
    )
    harness.advance(10 * timedelta(minutes=1))
    store.product(store.product_id(1), "Desk lamp", [lamp])
    harness.advance(10 * timedelta(minutes=1))
    start = harness.clock.now()

    store.set_stock(store.product_id(1), "Desk lamp", Variant(lamp.variant_id, "80.00", 3))

    assert sent(app, start) == [("low_stock", "email", "low_stock", timedelta(0))]


def test_the_hosted_form_names_the_product_from_the_catalogue_never_from_its_link(client, store, factory):
    shop = store.shop(factory)
    store.product(store.product_id(1), "Desk lamp", [Variant(store.variant_id(1), "80.00", 0)])
    phish = "ACTION REQUIRED: confirm your card"

    known = client.get(
        f"/storefront/notify?k={shop.storefront_key}&product_id={store.product_id(1)}&title={phish}"
    )
    unknown = client.get(f"/storefront/notify?k={shop.storefront_key}&product_id=99999&title={phish}")
    done = client.post(
        f"/storefront/notify?k={shop.storefront_key}",
        data={"hosted": "1", "email": "ann@example.com", "product_id": "99999", "title": phish},
        headers={"Origin": OUR_ORIGIN},
    )

    assert "Notify me when Desk lamp is available" in known.text
    assert "Notify me when this product is available" in unknown.text
    assert all(phish not in page.text for page in (known, unknown, done))


# --- consent from the public form (issue 14.7) ---------------------------------------------------


def consents(app) -> list[tuple[str | None, str, str]]:
    return [(c.previous, c.state, c.source) for c in rows(app, ConsentChange)]


@pytest.mark.parametrize("origin", [None, "https://evil.example", "null"])
def test_a_signup_from_anywhere_but_the_shops_pages_is_refused_and_records_nothing(
    app, client, store, factory, origin
):
    # the attack: someone else's address, the box ticked, and no Origin (or another site's)
    shop = store.shop(factory)

    response = signup(client, shop, store.product_id(1), "victim@example.com", subscribe=True, origin=origin)

    assert response.status_code == 403
    assert "is not a storefront of this shop" in response.json["error"]
    assert count(app, Contact) == 0
    assert count(app, ConsentChange) == 0
    assert count(app, StockAlert) == 0


def test_ticking_the_box_holds_consent_pending_and_sends_the_confirmation(
    app, client, store, factory, harness
):
    # given a shop that never switched on the double opt-in flow (it guards the platform's signups)
    shop = store.shop(factory)
    factory.enable(shop, "welcome_series")
    start = harness.clock.now()

    # when a shopper asks to hear about a lamp and ticks "email me news too"
    response = signup(client, shop, store.product_id(1), "ann@example.com", subscribe=True)
    harness.drain()

    # then the consent waits for the shopper's own confirmation, which is all they are sent
    assert response.status_code == 201
    (contact,) = rows(app, Contact)
    assert contact.email_consent == "pending"
    assert consents(app) == [(None, "pending", "storefront:notify_form")]
    assert [(flow, template) for flow, _, template, _ in sent(app, start)] == [
        ("double_opt_in", "double_opt_in_1")
    ]
    (confirmation,) = bodies(app, "double_opt_in_1")
    assert confirmation.to_address == "ann@example.com"


def test_only_the_click_on_the_confirm_link_makes_the_signup_subscribed(app, client, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "welcome_series")
    start = harness.clock.now()
    signup(client, shop, store.product_id(1), "ann@example.com", subscribe=True)
    harness.drain()
    (confirmation,) = bodies(app, "double_opt_in_1")
    link = next(url for url in confirmation.links if "/confirm/" in url)

    shown = client.get(link.removeprefix(OUR_ORIGIN))
    assert rows(app, Contact)[0].email_consent == "pending"  # a mail scanner following the link is not a yes
    confirmed = client.post(link.removeprefix(OUR_ORIGIN))
    harness.drain()

    assert (shown.status_code, confirmed.status_code) == (200, 200)
    (contact,) = rows(app, Contact)
    assert (contact.email_consent, contact.email_consent_source) == ("subscribed", "storeflow:double_opt_in")
    assert consents(app) == [
        (None, "pending", "storefront:notify_form"),
        ("pending", "subscribed", "storeflow:double_opt_in"),
    ]
    assert ("welcome_series", "welcome_1") in [(flow, template) for flow, _, template, _ in sent(app, start)]


def test_the_back_in_stock_email_goes_once_to_the_address_that_asked_confirmed_or_not(
    app, client, store, factory, harness
):
    shop = store.shop(factory)
    factory.enable(shop, "back_in_stock")
    lamp = Variant(store.variant_id(1), "80.00", 0)
    store.product(store.product_id(1), "Desk lamp", [lamp])
    signup(client, shop, store.product_id(1), "ann@example.com", lamp.variant_id, subscribe=True)
    start = harness.clock.now()

    store.restock(store.product_id(1), "Desk lamp", Variant(lamp.variant_id, "80.00", 5))
    store.restock(store.product_id(1), "Desk lamp", Variant(lamp.variant_id, "80.00", 6))
    harness.advance_to(start + 2 * HOUR)

    assert [m.to_address for m in bodies(app, "back_in_stock")] == ["ann@example.com"]
    assert rows(app, Contact)[0].email_consent == "pending"


def test_a_shop_that_chose_single_opt_in_subscribes_form_signups_at_once(
    app, client, store, factory, harness
):
    shop = store.shop(factory, settings={"consent": {"form_opt_in": "single"}})
    start = harness.clock.now()

    signup(client, shop, store.product_id(1), "ann@example.com", subscribe=True)
    harness.drain()

    assert rows(app, Contact)[0].email_consent == "subscribed"
    assert consents(app) == [(None, "subscribed", "storefront:notify_form")]
    assert bodies(app, "double_opt_in_1") == []
    assert sent(app, start) == []
