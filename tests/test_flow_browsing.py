"""Storefront-fed flows end to end on both platforms: browse, search and site abandonment and the
wishlist reminder, from a known shopper's storefront events to the exact emails out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db.models import Decision, Enrollment
from app.storefront.origins import origin_of
from tests.support.db import count, rows
from tests.support.outbox import bodies, not_sent, sent
from tests.support.saleor import ALLOWLIST
from tests.support.storefront import batch, drain, our_link, post, visitor_id
from tests.support.stores import Line, Shopper, Variant

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
ANN = Shopper("ann@example.com", "Ann", "1001")


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


class Browser:
    """Ann's browser on the storefront, which arrived through one of our links (so it is known to be
    hers): each call is one post the worker then stores."""

    def __init__(self, app, client, store, shop) -> None:
        self.app, self.client, self.store, self.shop = app, client, store, shop
        self.visitor = visitor_id()
        self.link: str | None = our_link(app, shop.id, ANN.email)

    def does(self, *events: dict) -> None:
        body = batch(self.visitor, *events, link=self.link) if self.link else batch(self.visitor, *events)
        assert post(self.client, self.shop.storefront_key, body).status_code == 202
        self.link = None  # the snippet sends the link once: the server remembers the visitor
        drain(self.app)
        self.store.harness.drain()


@pytest.fixture
def ann(app, client, store, factory):
    shop = store.shop(factory)
    store.subscribe(ANN)
    store.product(store.product_id(1), "Linen shirt", [Variant(store.variant_id(1), "58.00", 10)])
    store.product(store.product_id(2), "Canvas tote", [Variant(store.variant_id(2), "24.00", 10)])
    return Browser(app, client, store, shop)


def viewed(store, n: int) -> dict:
    return {"type": "product_viewed", "product_id": store.product_id(n)}


def test_browse_abandonment_shows_the_products_viewed_two_hours_after_the_last_view(
    app, store, factory, harness, ann
):
    factory.enable(ann.shop, "browse_abandonment")
    start = harness.clock.now()

    ann.does(viewed(store, 1))
    harness.advance_to(start + 30 * MINUTE)
    ann.does(viewed(store, 2))
    harness.advance_to(start + 2 * HOUR)
    harness.advance_to(start + 2 * HOUR + 30 * MINUTE)

    assert sent(app, start) == [("browse_abandonment", "email", "browse_abandonment", 2 * HOUR + 30 * MINUTE)]
    (email,) = bodies(app, "browse_abandonment")
    assert email.subject == "Still thinking about Canvas tote?"
    assert "- Canvas tote: $24.00" in email.body_text
    assert "- Linen shirt: $58.00" in email.body_text
    assert 'src="https://cdn.' in email.body_html


def test_adding_to_the_cart_ends_browse_abandonment(app, store, factory, harness, ann):
    factory.enable(ann.shop, "browse_abandonment")
    start = harness.clock.now()

    ann.does(viewed(store, 1))
    harness.advance_to(start + HOUR)
    ann.does({"type": "product_added_to_cart", "product_id": store.product_id(1), "quantity": 1})
    harness.advance_to(start + 3 * HOUR)

    assert sent(app, start) == []
    (browse,) = rows(app, Enrollment)
    assert browse.exit_reason.startswith("cart.product_added")


def test_a_shopper_enters_browse_abandonment_again_only_after_the_reentry_days(
    app, store, factory, harness, ann
):
    factory.enable(ann.shop, "browse_abandonment", browse_abandonment={"params": {"reentry_days": 7}})
    start = harness.clock.now()

    ann.does(viewed(store, 1))
    harness.advance_to(start + 2 * HOUR)
    harness.advance_to(start + 3 * DAY)
    ann.does(viewed(store, 2))
    harness.advance_to(start + 8 * DAY)
    ann.does(viewed(store, 2))
    harness.advance_to(start + 8 * DAY + 2 * HOUR)

    assert [at for _, _, _, at in sent(app, start)] == [2 * HOUR, 8 * DAY + 2 * HOUR]
    assert count(app, Enrollment, flow_key="browse_abandonment") == 2


def test_search_abandonment_suggests_products_matching_the_search(app, store, factory, harness, ann):
    factory.enable(ann.shop, "search_abandonment")
    start = harness.clock.now()

    ann.does({"type": "search_submitted", "search_query": "linen"})
    harness.advance_to(start + 2 * HOUR)

    assert sent(app, start) == [("search_abandonment", "email", "search_abandonment", 2 * HOUR)]
    (email,) = bodies(app, "search_abandonment")
    assert email.subject == "Still looking for linen?"
    assert "- Linen shirt: $58.00" in email.body_text
    assert "Canvas tote" not in email.body_text


def test_viewing_a_product_after_searching_hands_over_to_browse_abandonment(
    app, store, factory, harness, ann
):
    factory.enable(ann.shop, "search_abandonment", "browse_abandonment")
    start = harness.clock.now()

    ann.does({"type": "search_submitted", "search_query": "linen"})
    ann.does(viewed(store, 1))
    harness.advance_to(start + 2 * HOUR)

    assert [flow for flow, _, _, _ in sent(app, start)] == ["browse_abandonment"]
    search = rows(app, Enrollment, flow_key="search_abandonment")[0]
    assert search.exit_reason == "entered browse_abandonment"


def test_site_abandonment_welcomes_back_a_collection_browser_with_bestsellers(
    app, store, factory, harness, ann
):
    factory.enable(ann.shop, "site_abandonment")
    other = Shopper("ben@example.com", "Ben", "1002")
    store.order(
        other, 900, [Line(store.product_id(2), store.variant_id(2), "Canvas tote", "24.00", 3)], "placed"
    )
    start = harness.clock.now()

    ann.does({"type": "collection_viewed", "collection_id": "summer", "title": "Summer"})
    harness.advance_to(start + 3 * HOUR)

    assert sent(app, start) == [("site_abandonment", "email", "site_abandonment", 3 * HOUR)]
    (email,) = bodies(app, "site_abandonment")
    assert "- Canvas tote: $24.00" in email.body_text


def test_the_wishlist_reminder_shows_the_saved_products_three_days_later(app, store, factory, harness, ann):
    factory.enable(ann.shop, "wishlist_reminder")
    start = harness.clock.now()

    ann.does({"type": "wishlist_added", "product_id": store.product_id(2)})
    harness.advance_to(start + 3 * DAY)

    assert sent(app, start) == [("wishlist_reminder", "email", "wishlist_reminder", 3 * DAY)]
    (email,) = bodies(app, "wishlist_reminder")
    assert "- Canvas tote: $24.00" in email.body_text


def test_an_anonymous_visitor_enters_no_flow(app, client, store, factory, harness):
    shop = store.shop(factory)
    factory.enable(shop, "browse_abandonment")

    post(client, shop.storefront_key, batch(visitor_id(), viewed(store, 1)))
    drain(app)
    harness.drain()

    assert count(app, Enrollment) == 0


# --- what a storefront post cannot do (issue 14.2) -------------------------------------------------

PHISH = {
    "title": "ACTION REQUIRED: your order is on hold, confirm your card?",
    "url": "https://evil.example/confirm-card",
    "price": "0.00",
}


def test_a_post_naming_a_customer_sends_that_customer_nothing(app, client, store, factory, harness, ann):
    # given a stranger's page that names Ann's customer id and a product title and link of its choosing
    factory.enable(ann.shop, "browse_abandonment")
    start = harness.clock.now()
    attack = batch(visitor_id(), {**viewed(store, 1), **PHISH}, customer_id=store.customer_ref(ANN))

    # when it posts, and the browse abandonment delay passes
    assert post(client, ann.shop.storefront_key, attack).status_code == 202
    drain(app)
    harness.drain()
    harness.advance_to(start + 3 * HOUR)

    # then Ann is emailed nothing: a bare claim does not make the visitor her
    assert sent(app, start) == []
    assert count(app, Enrollment) == 0


def test_a_viewed_product_shows_the_catalogues_title_price_and_link_not_the_pages(
    app, store, factory, harness, ann
):
    factory.enable(ann.shop, "browse_abandonment")
    start = harness.clock.now()

    ann.does({**viewed(store, 1), **PHISH})
    harness.advance_to(start + 2 * HOUR)

    (email,) = bodies(app, "browse_abandonment")
    assert "- Linen shirt: $58.00" in email.body_text
    assert "ACTION REQUIRED" not in email.body_text + email.body_html + (email.subject or "")
    assert {origin_of(link) for link in email.links} <= {"https://shop.demo.test", "https://storeflow.test"}


def test_a_viewed_product_the_catalogue_does_not_have_is_left_out_with_the_reason_logged(
    app, store, factory, harness, ann
):
    factory.enable(ann.shop, "browse_abandonment")
    start = harness.clock.now()

    ann.does(viewed(store, 1), {"type": "product_viewed", "product_id": "99999", **PHISH})
    harness.advance_to(start + 2 * HOUR)

    (email,) = bodies(app, "browse_abandonment")
    assert "Linen shirt" in email.body_text
    assert "ACTION REQUIRED" not in email.body_text + email.body_html + (email.subject or "")
    assert not any("evil.example" in link for link in email.links)
    (sent_decision,) = rows(app, Decision, message_id=email.id, outcome="sent")
    assert sent_decision.facts["left_out"] == {"99999": "not in the catalogue"}


def test_browse_abandonment_is_skipped_when_no_viewed_product_is_in_the_catalogue(
    app, store, factory, harness, ann
):
    factory.enable(ann.shop, "browse_abandonment")
    start = harness.clock.now()

    ann.does({"type": "product_viewed", "product_id": "99999", **PHISH})
    harness.advance_to(start + 2 * HOUR)

    assert sent(app, start) == []
    assert [m for m in not_sent(app) if m[1] == "browse_abandonment"] == [
        (
            "browse_abandonment",
            "browse_abandonment",
            "skipped",
            "nothing to show: no viewed products for this shopper",
        )
    ]
    (skipped,) = rows(app, Decision, reason="nothing to show: no viewed products for this shopper")
    assert skipped.facts["left_out"] == {"99999": "not in the catalogue"}
