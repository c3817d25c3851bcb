"""The storefront events endpoint: the shop's own pages only, every field checked, rate-limited per
visitor and per shop, one Redis call per post; the worker stores posts in batches and links visitors."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.core.facts import ContactFacts, PrivacyRequest
from app.db import db
from app.db.models import Shop, StorefrontEvent, Visitor
from app.ingest.privacy import export_customer, redact_customer
from app.jobs.storefront_drain import drain_events
from app.jobs.worker import storefront_buffer
from app.storefront.buffer import QUEUE_KEY
from app.storefront.identity import Clicker, clicker_token
from app.web.factory import create_app
from tests.conftest import test_config
from tests.support.db import count, rows
from tests.support.fake_sendgrid import unused_port
from tests.support.samples import sample
from tests.support.shopify import SHOP_DOMAIN, deliver
from tests.support.storefront import (
    PATH,
    STOREFRONT,
    batch,
    drain,
    post,
    product_viewed,
    proxied_post,
    queued,
    visitor_id,
)

SECRET = "test-secret-key"


@pytest.fixture
def config_changes() -> dict[str, object]:
    return {"storefront_visitor_events_per_minute": 5, "storefront_shop_events_per_minute": 8}


@pytest.fixture
def shop(factory) -> Shop:
    return factory.shop(
        storefront_url=STOREFRONT, settings={"storefront_origins": ["https://headless.demo.test"]}
    )


@pytest.fixture
def key(shop) -> str:
    return shop.storefront_key


# --- what is accepted, and stored ----------------------------------------------------------------


def test_a_post_from_the_storefront_is_accepted_and_stored_by_the_worker(app, client, key):
    visitor = visitor_id()
    event = product_viewed("632910392", variant_id=808950810)

    response = post(client, key, batch(visitor, event))
    stored = drain(app)

    assert response.status_code == 202
    assert response.json == {"status": "accepted"}
    assert response.headers["Access-Control-Allow-Origin"] == STOREFRONT
    assert response.headers["Vary"] == "Origin"
    assert stored == 1
    (row,) = rows(app, StorefrontEvent)
    assert (row.kind, row.visitor_key, row.product_id, row.variant_id) == (
        "product_viewed",
        visitor,
        "632910392",
        "808950810",
    )
    assert row.occurred_at == app.extensions["storeflow"].clock.now()
    (seen,) = rows(app, Visitor)
    assert (seen.visitor_key, seen.contact_id) == (visitor, None)


def test_titles_prices_and_links_a_page_sends_are_not_kept(app, client, key):
    # messages show the catalogue's title, price, image and link, never the page's (issue 14.2)
    event = product_viewed(
        "632910392",
        title="ACTION REQUIRED: your order is on hold, confirm your card?",
        price="0.01",
        currency="usd",
        url="https://evil.example/confirm-card",
        image_url="https://evil.example/logo.png",
    )

    assert post(client, key, batch(None, event)).status_code == 202
    waiting = app.extensions["storeflow"].redis.lrange(QUEUE_KEY, 0, -1)
    drain(app)

    assert b"evil.example" not in b"".join(waiting) and b"ACTION" not in b"".join(waiting)
    (row,) = rows(app, StorefrontEvent)
    assert row.product_id == "632910392"
    assert not {"title", "price", "currency", "url"} & set(StorefrontEvent.__table__.columns.keys())


def test_every_kind_of_event_is_stored(app, client, key):
    events = [
        {"type": "collection_viewed", "collection_id": "841564295"},
        {"type": "search_submitted", "search_query": "linen shirt"},
        {"type": "product_added_to_cart", "product_id": "632910392", "quantity": 2},
        {"type": "wishlist_added", "product_id": "632910392"},
        {"type": "checkout_started", "checkout_token": "123123123"},
    ]

    post(client, key, batch(None, *events))
    drain(app)

    assert [r.kind for r in rows(app, StorefrontEvent)] == [e["type"] for e in events]
    assert rows(app, StorefrontEvent)[1].search_query == "linen shirt"


def test_a_visitor_seen_again_is_one_visitor(app, client, key):
    visitor = visitor_id()
    post(client, key, batch(visitor))
    post(client, key, batch(visitor))

    drain(app)

    assert count(app, Visitor) == 1
    assert count(app, StorefrontEvent) == 2


@pytest.mark.parametrize("origin", ["https://headless.demo.test", f"https://{SHOP_DOMAIN}"])
def test_listed_origins_and_the_myshopify_domain_are_the_shops_too(app, client, key, origin):
    response = post(client, key, batch(), origin=origin)

    assert response.status_code == 202
    assert response.headers["Access-Control-Allow-Origin"] == origin


def test_a_preflight_from_the_storefront_is_allowed(app, client, key):
    response = client.options(
        f"{PATH}?k={key}", headers={"Origin": STOREFRONT, "Access-Control-Request-Method": "POST"}
    )

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == STOREFRONT
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"


def test_a_shopify_web_pixel_in_its_sandbox_is_accepted_for_the_shops_pages(app, client, key):
    body = batch(page=f"{STOREFRONT}/products/ipod-nano")

    response = post(client, key, body, origin="null")

    assert response.status_code == 202
    assert "Access-Control-Allow-Origin" not in response.headers
    assert queued(app) == 1


# --- what is refused -----------------------------------------------------------------------------


def test_a_post_from_a_foreign_origin_is_refused_and_not_kept(app, client, key):
    response = post(client, key, batch(), origin="https://evil.example")

    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert queued(app) == 0


def test_a_preflight_from_a_foreign_origin_is_refused(app, client, key):
    response = client.options(f"{PATH}?k={key}", headers={"Origin": "https://evil.example"})

    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("page", [None, "https://evil.example/products/x"])
def test_a_sandboxed_post_must_report_a_page_of_the_shop(app, client, key, page):
    response = post(client, key, batch(page=page) if page else batch(), origin="null")

    assert response.status_code == 403
    assert queued(app) == 0


def test_only_shopify_shops_take_sandboxed_posts(app, client, factory):
    saleor = factory.shop(domain="https://saleor.test/graphql/", platform="saleor", storefront_url=STOREFRONT)

    response = post(client, saleor.storefront_key, batch(page=f"{STOREFRONT}/p"), origin="null")

    assert response.status_code == 403


@pytest.mark.parametrize("query_key", ["", "not-a-key-of-any-shop"])
def test_an_unknown_storefront_key_is_not_found(app, client, shop, query_key):
    response = post(client, query_key, batch())

    assert response.status_code == 404
    assert queued(app) == 0


def test_an_uninstalled_shops_events_are_refused(app, client, factory):
    gone = factory.shop(domain="gone.myshopify.com", installed=False, storefront_url=STOREFRONT)

    assert post(client, gone.storefront_key, batch()).status_code == 404


def test_an_oversize_body_is_refused_unread(app, client, key):
    body = batch(product_viewed(title="x" * 200))
    body["padding"] = "x" * 20_000

    response = post(client, key, body)

    assert response.status_code == 413
    assert queued(app) == 0


def test_other_methods_are_refused(app, client, key):
    assert client.get(f"{PATH}?k={key}").status_code == 405


HOSTILE = {
    "not json": b"{visitor: 1",
    "not an object": b"[1, 2]",
    "visitor is a number": {
        "visitor": 12345678901234567890,
        "events": [{"type": "product_viewed", "product_id": "1"}],
    },
    "visitor too short": {"visitor": "abc", "events": [{"type": "product_viewed", "product_id": "1"}]},
    "visitor with a quote": {
        "visitor": "a" * 20 + "'",
        "events": [{"type": "product_viewed", "product_id": "1"}],
    },
    "events not a list": {"visitor": "a" * 32, "events": {"type": "product_viewed"}},
    "no events": {"visitor": "a" * 32, "events": []},
    "too many events": {"visitor": "a" * 32, "events": [{"type": "product_viewed", "product_id": "1"}] * 11},
    "unknown type": {"visitor": "a" * 32, "events": [{"type": "order_refunded", "product_id": "1"}]},
    "event not an object": {"visitor": "a" * 32, "events": ["product_viewed"]},
    "missing product": {"visitor": "a" * 32, "events": [{"type": "product_viewed"}]},
    "product id an object": {
        "visitor": "a" * 32,
        "events": [{"type": "product_viewed", "product_id": {"$gt": ""}}],
    },
    "product id with spaces": {
        "visitor": "a" * 32,
        "events": [{"type": "product_viewed", "product_id": "1 OR 1=1"}],
    },
    "quantity zero": {
        "visitor": "a" * 32,
        "events": [{"type": "product_added_to_cart", "product_id": "1", "quantity": 0}],
    },
    "quantity a bool": {
        "visitor": "a" * 32,
        "events": [{"type": "product_added_to_cart", "product_id": "1", "quantity": True}],
    },
    "search empty": {"visitor": "a" * 32, "events": [{"type": "search_submitted", "search_query": "   "}]},
    "checkout token with html": {
        "visitor": "a" * 32,
        "events": [{"type": "checkout_started", "checkout_token": "<b>"}],
    },
    "link a number": {
        "visitor": "a" * 32,
        "events": [{"type": "product_viewed", "product_id": "1"}],
        "link": 5,
    },
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_payloads_are_refused_and_not_kept(app, client, key, body):
    response = post(client, key, body if isinstance(body, bytes) else json.dumps(body).encode())

    assert response.status_code == 400
    assert "error" in response.json
    assert queued(app) == 0


# --- rate limits (this module: 5 events a minute per visitor, 8 per shop) ------------------------


def test_a_visitor_flooding_the_endpoint_is_limited(app, client, key):
    visitor = visitor_id()
    answers = [post(client, key, batch(visitor)).status_code for _ in range(7)]

    assert answers == [202] * 5 + [429] * 2
    assert queued(app) == 5


def test_a_limited_visitor_is_told_when_to_come_back(app, client, key):
    visitor = visitor_id()
    for _ in range(5):
        post(client, key, batch(visitor))

    response = post(client, key, batch(visitor))

    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["Access-Control-Allow-Origin"] == STOREFRONT


def test_one_visitors_flood_does_not_use_up_the_shops_allowance(app, client, key):
    flooder = visitor_id()
    for _ in range(20):
        post(client, key, batch(flooder))

    assert post(client, key, batch()).status_code == 202


def test_many_visitors_together_are_limited_per_shop(app, client, key):
    answers = [post(client, key, batch()).status_code for _ in range(10)]

    assert answers == [202] * 8 + [429] * 2


def test_a_batch_counts_each_of_its_events(app, client, key):
    visitor = visitor_id()

    assert post(client, key, batch(visitor, *[product_viewed()] * 5)).status_code == 202
    assert post(client, key, batch(visitor)).status_code == 429


def test_while_redis_is_down_events_are_dropped_with_a_503_not_an_error(app, postgres_url, clock, key):
    down = create_app(
        test_config(postgres_url, redis_url=f"redis://127.0.0.1:{unused_port()}/0"), clock=clock
    )
    try:
        response = post(down.test_client(), key, batch())
    finally:
        down.extensions["storeflow"].close()

    assert response.status_code == 503
    assert response.json == {"error": response.json["error"]}
    assert "Redis" in response.json["error"]


# --- linking visitors to contacts ----------------------------------------------------------------


def test_arriving_through_one_of_our_links_links_the_visitor(app, client, factory, shop, key):
    jane = factory.contact(shop, email="jane@example.com")
    link = clicker_token(SECRET, Clicker(shop.id, jane.id, message_id=7))

    post(client, key, batch(link=link))
    drain(app)

    (visitor,) = rows(app, Visitor)
    assert (visitor.contact_id, visitor.linked_by) == (jane.id, "click")


@pytest.mark.parametrize("secret", ["another-secret"])
def test_a_forged_link_links_nobody(app, client, factory, shop, key, secret):
    jane = factory.contact(shop, email="jane@example.com")

    post(client, key, batch(link=clicker_token(secret, Clicker(shop.id, jane.id, 7))))
    drain(app)

    assert rows(app, Visitor)[0].contact_id is None


def test_a_link_made_for_another_shop_links_nobody(app, client, factory, shop, key):
    other = factory.shop(domain="other.myshopify.com")
    stranger = factory.contact(other, email="jane@example.com")

    post(client, key, batch(link=clicker_token(SECRET, Clicker(other.id, stranger.id, 7))))
    drain(app)

    assert rows(app, Visitor)[0].contact_id is None


def test_starting_a_known_checkout_links_the_visitor(app, client, harness, shop, key):
    checkout = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    checkout["updated_at"] = harness.clock.now().isoformat()
    deliver(client, "checkouts/create", checkout)
    harness.drain()

    post(client, key, batch(None, {"type": "checkout_started", "checkout_token": checkout["token"]}))
    drain(app)

    (visitor,) = rows(app, Visitor)
    assert visitor.linked_by == "checkout"
    assert visitor.contact_id is not None


def test_a_checkout_webhook_after_the_visit_links_the_visitor(app, client, harness, shop, key):
    checkout = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    post(client, key, batch(None, {"type": "checkout_started", "checkout_token": checkout["token"]}))
    drain(app)

    checkout["updated_at"] = harness.clock.now().isoformat()
    deliver(client, "checkouts/create", checkout)
    harness.drain()

    (visitor,) = rows(app, Visitor)
    assert visitor.linked_by == "checkout"
    assert visitor.contact_id is not None


def test_a_customer_id_the_post_claims_links_nobody(app, client, factory, shop, key):
    # the attack of issue 14.2: any page may name any customer
    factory.contact(shop, email="jane@example.com", platform_customer_id="207119551")

    post(client, key, batch(customer_id="207119551"))
    drain(app)

    assert (rows(app, Visitor)[0].contact_id, rows(app, Visitor)[0].linked_by) == (None, None)


def test_a_post_shopify_forwards_through_the_app_proxy_links_the_logged_in_customer(
    app, client, factory, shop
):
    jane = factory.contact(shop, email="jane@example.com", platform_customer_id="207119551")

    response = proxied_post(client, batch(), logged_in_customer_id="207119551")
    drain(app)

    assert response.status_code == 202
    assert (rows(app, Visitor)[0].contact_id, rows(app, Visitor)[0].linked_by) == (jane.id, "login")


def test_an_app_proxy_post_of_a_guest_links_nobody(app, client, factory, shop):
    factory.contact(shop, email="jane@example.com", platform_customer_id="207119551")

    response = proxied_post(client, batch(), logged_in_customer_id="")
    drain(app)

    assert response.status_code == 202
    assert rows(app, Visitor)[0].contact_id is None


@pytest.mark.parametrize(
    "forgery",
    [
        {"secret": "attacker-secret"},
        {"timestamp": int(time.time()) - 3600},
        {"tamper": {"logged_in_customer_id": "207119551"}},
        {"unsigned": True},
    ],
    ids=["wrong secret", "an hour old", "customer id changed after signing", "no signature"],
)
def test_an_app_proxy_post_that_shopify_did_not_sign_is_refused_and_not_kept(
    app, client, factory, shop, forgery
):
    factory.contact(shop, email="jane@example.com", platform_customer_id="207119551")

    response = proxied_post(client, batch(), logged_in_customer_id="", **forgery)

    assert response.status_code == 401
    assert queued(app) == 0


def test_an_app_proxy_post_for_a_shop_that_is_not_installed_is_not_found(app, client, shop):
    response = proxied_post(client, batch(), shop_domain="other.myshopify.com")

    assert response.status_code == 404
    assert queued(app) == 0


def test_a_claim_never_replaces_a_proven_link(app, client, factory, shop, key):
    jane = factory.contact(shop, email="jane@example.com")
    factory.contact(shop, email="joe@example.com", platform_customer_id="207119551")
    visitor = visitor_id()
    post(client, key, batch(visitor, link=clicker_token(SECRET, Clicker(shop.id, jane.id, 7))))
    drain(app)

    post(client, key, batch(visitor, customer_id="207119551"))
    drain(app)

    assert (rows(app, Visitor)[0].contact_id, rows(app, Visitor)[0].linked_by) == (jane.id, "click")


def test_the_latest_proof_wins_a_shared_browser(app, client, factory, shop, key):
    jane = factory.contact(shop, email="jane@example.com")
    joe = factory.contact(shop, email="joe@example.com", platform_customer_id="207119551")
    visitor = visitor_id()
    post(client, key, batch(visitor, link=clicker_token(SECRET, Clicker(shop.id, jane.id, 7))))
    drain(app)

    proxied_post(client, batch(visitor), logged_in_customer_id="207119551")
    drain(app)

    assert (rows(app, Visitor)[0].contact_id, rows(app, Visitor)[0].linked_by) == (joe.id, "login")


# --- the worker's side ---------------------------------------------------------------------------


def test_posts_that_cannot_be_stored_go_back_to_the_queue(app, client, key):
    post(client, key, batch())
    post(client, key, batch())
    broken = Session(create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{unused_port()}/none"))

    with app.app_context(), pytest.raises(Exception, match="connect"):
        drain_events(broken, storefront_buffer(app.extensions["storeflow"]), SECRET)

    assert queued(app) == 2
    assert drain(app) == 2
    assert count(app, StorefrontEvent) == 2


def test_posts_of_a_shop_erased_since_are_dropped(app, client, factory, shop, key):
    post(client, key, batch())
    with app.app_context():
        db.session.delete(db.session.get(Shop, shop.id))
        db.session.commit()

    assert drain(app) == 1
    assert count(app, StorefrontEvent) == 0


# --- privacy -------------------------------------------------------------------------------------


def linked_browsing(app, client, factory, shop, key) -> int:
    """Jane browses after clicking one of our links; a stranger browses too."""
    jane = factory.contact(shop, email="jane@example.com")
    post(
        client,
        key,
        batch(None, product_viewed("1"), link=clicker_token(SECRET, Clicker(shop.id, jane.id, 7))),
    )
    post(client, key, batch(None, product_viewed("2")))
    drain(app)
    return jane.id


def test_a_data_export_includes_what_the_customer_browsed(app, client, factory, shop, key):
    linked_browsing(app, client, factory, shop, key)

    with app.app_context():
        export = export_customer(
            db.session(), db.session.get_one(Shop, shop.id), request_for("jane@example.com")
        )

    assert [(e["type"], e["product_id"]) for e in export.payload["storefront_events"]] == [
        ("product_viewed", "1")
    ]


def test_erasing_a_customer_erases_their_visitors_and_browsing(app, client, factory, shop, key):
    linked_browsing(app, client, factory, shop, key)

    with app.app_context():
        redact_customer(db.session(), db.session.get_one(Shop, shop.id), request_for("jane@example.com"))
        db.session.commit()

    assert [e.product_id for e in rows(app, StorefrontEvent)] == ["2"]
    assert [v.contact_id for v in rows(app, Visitor)] == [None]


def request_for(email: str) -> PrivacyRequest:
    return PrivacyRequest(reference="1", customer=ContactFacts(email=email))


def test_the_cli_prints_the_snippet_and_pixel_settings_of_a_shop(app, shop, key):
    result = app.test_cli_runner().invoke(args=["storeflow", "storefront-key", shop.domain])

    assert result.exit_code == 0, result.output
    snippet = f'<script src="https://storeflow.test/storefront/storeflow.js?k={key}" async></script>'
    assert snippet in result.output
    assert f'"storefrontKey": "{key}"' in result.output


def test_the_snippet_is_served_from_our_static_files(app, client):
    response = client.get("/static/storeflow.js")

    assert response.status_code == 200
    assert '"/storefront/events" + query' in response.get_data(as_text=True)
    response.close()
