"""Our own click tracking: links rewritten at send time, signed redirects that record the click once
and can only lead where the message's own links led."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from app.db import db
from app.db.models import Message, MessageEvent
from app.messaging.link_policy import LinkPolicy
from app.messaging.links import LinkRewriter, click_url
from app.storefront.identity import read_clicker
from tests.support.db import count, rows
from tests.support.links import tracked_links
from tests.support.messages import sent_message
from tests.support.samples import sample
from tests.support.shopify import deliver

APP_URL = "https://storeflow.test"
SECRET = "test-secret-key"
UNSUBSCRIBE = f"{APP_URL}/u/abc.def"
STOREFRONT = "https://shop.demo.test"
SURVEY = "https://forms.example/what-stopped-you"


def rewriter() -> LinkRewriter:
    return LinkRewriter(
        tracked=lambda n: f"{APP_URL}/c/link{n}", keep=lambda url: url.startswith(f"{APP_URL}/u/")
    )


# --- rewriting -----------------------------------------------------------------------------------


def test_html_links_become_tracked_links_in_order():
    links = rewriter()

    html = links.html("<a href=\"https://a.test/x\">A</a> <a href='https://b.test/'>B</a>")

    assert html == f"<a href=\"{APP_URL}/c/link0\">A</a> <a href='{APP_URL}/c/link1'>B</a>"
    assert links.urls == ["https://a.test/x", "https://b.test/"]


def test_the_same_url_in_text_and_html_gets_one_link():
    links = rewriter()

    text = links.text("Finish here: https://a.test/r?key=1&x=2")
    html = links.html('<a href="https://a.test/r?key=1&amp;x=2">Finish</a>')

    assert links.urls == ["https://a.test/r?key=1&x=2"]
    assert text == f"Finish here: {APP_URL}/c/link0"
    assert html == f'<a href="{APP_URL}/c/link0">Finish</a>'


def test_punctuation_ending_a_sentence_is_not_part_of_the_link():
    links = rewriter()

    text = links.text("Visit https://a.test/shop. Or (https://b.test/)!")

    assert links.urls == ["https://a.test/shop", "https://b.test/"]
    assert text == f"Visit {APP_URL}/c/link0. Or ({APP_URL}/c/link1)!"


def test_unsubscribe_mailto_and_other_non_web_links_are_left_alone():
    links = rewriter()
    html = f'<a href="{UNSUBSCRIBE}">Unsubscribe</a> <a href="mailto:shop@x.test">Mail</a>'

    assert links.html(html) == html
    assert links.text(f"Unsubscribe: {UNSUBSCRIBE}") == f"Unsubscribe: {UNSUBSCRIBE}"
    assert links.urls == []


def test_a_link_to_another_domain_is_swapped_for_the_shop_home():
    policy = LinkPolicy(home=f"{STOREFRONT}/", origins=frozenset({STOREFRONT, APP_URL}))
    links = LinkRewriter(
        tracked=lambda n: f"{APP_URL}/c/link{n}",
        keep=lambda url: url.startswith(f"{APP_URL}/u/"),
        vet=policy.target,
    )

    html = links.html(f'<a href="{PHISH}">Confirm</a> <a href="{STOREFRONT}/products/lamp">Lamp</a>')
    text = links.text(f"Confirm: {PHISH}")

    assert links.urls == [f"{STOREFRONT}/", f"{STOREFRONT}/products/lamp"]
    assert html == f'<a href="{APP_URL}/c/link0">Confirm</a> <a href="{APP_URL}/c/link1">Lamp</a>'
    assert text == f"Confirm: {APP_URL}/c/link0"


def test_without_tracking_a_link_to_another_domain_is_still_swapped():
    policy = LinkPolicy(home=f"{STOREFRONT}/", origins=frozenset({STOREFRONT}))
    links = LinkRewriter(tracked=None, keep=lambda url: False, vet=policy.target)

    assert links.text(f"Confirm: {PHISH} or {STOREFRONT}/a") == f"Confirm: {STOREFRONT}/ or {STOREFRONT}/a"
    assert links.urls == []


# --- at send time --------------------------------------------------------------------------------


def send_first_reminder(client, harness, factory) -> Message:
    shop = factory.shop(storefront_url=STOREFRONT)
    factory.enable(shop, "abandoned_checkout")
    checkout = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    checkout.update(buyer_accepts_marketing=True, updated_at=harness.clock.now().isoformat())
    deliver(client, "checkouts/create", checkout)
    harness.drain()
    harness.advance(timedelta(hours=1))
    (message,) = rows(harness.app, Message)
    return message


def test_sent_emails_carry_only_tracked_links_except_unsubscribe(app, client, harness, factory):
    message = send_first_reminder(client, harness, factory)

    hrefs = re.findall(r'href="(https?://[^"]+)"', message.body_html)
    assert hrefs and all(h.startswith(f"{APP_URL}/c/") or h.startswith(f"{APP_URL}/u/") for h in hrefs)
    assert any(h.startswith(f"{APP_URL}/u/") for h in hrefs)
    assert (
        "https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token"
        in message.links
    )
    assert len(tracked_links(message.body_text)) >= 1


@pytest.mark.parametrize("config_changes", [{"sendgrid_click_tracking": True}])
def test_with_sendgrid_click_tracking_emails_keep_their_links(app, client, harness, factory):
    message = send_first_reminder(client, harness, factory)

    assert tracked_links(message.body_html) == []
    assert message.links == []
    assert (
        "https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token"
        in message.body_text
    )


# --- the redirect --------------------------------------------------------------------------------


CONFIRM = f"{APP_URL}/confirm/abc"  # one of our own pages: allowed, but not the storefront
PHISH = "https://evil.example/confirm-card"


@pytest.fixture
def message_id(app, factory, clock) -> int:
    shop = factory.shop(storefront_url=STOREFRONT)
    contact = factory.contact(shop, email="jane@example.com")
    links = [f"{STOREFRONT}/checkout?c=1", CONFIRM, "javascript:alert(1)", PHISH]
    return sent_message(db.session, shop, contact, clock.now() - timedelta(hours=1), links=links).id


def path(message_id: int, index: int, secret: str = SECRET) -> str:
    return urlsplit(click_url(APP_URL, secret, message_id, index)).path


def test_a_click_redirects_to_the_link_and_is_recorded(app, client, message_id):
    response = client.get(path(message_id, 1))

    assert response.status_code == 302
    assert response.headers["Location"] == CONFIRM
    (click,) = rows(app, MessageEvent)
    assert (click.kind, click.provider, click.url) == ("clicked", "storeflow", CONFIRM)
    (message,) = rows(app, Message)
    assert message.status == "clicked"


def test_every_click_is_one_event_and_moves_the_status_once(app, client, message_id):
    client.get(path(message_id, 1))
    client.get(path(message_id, 1))

    assert count(app, MessageEvent, kind="clicked") == 2
    (message,) = rows(app, Message)
    assert [e["status"] for e in message.timeline] == ["pending", "sent", "clicked"]


def test_a_head_request_redirects_without_counting_a_click(app, client, message_id):
    response = client.head(path(message_id, 1))

    assert response.status_code == 302
    assert count(app, MessageEvent) == 0


def test_a_link_into_the_storefront_carries_the_signed_clicker(app, client, message_id):
    location = client.get(path(message_id, 0)).headers["Location"]

    parts = urlsplit(location)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{STOREFRONT}/checkout"
    assert query["c"] == ["1"]
    clicker = read_clicker(SECRET, query["sf_c"][0])
    assert clicker is not None and clicker.message_id == message_id


def test_a_link_elsewhere_gets_no_clicker(app, client, message_id):
    location = client.get(path(message_id, 1)).headers["Location"]

    assert "sf_c" not in location


def test_a_token_signed_with_another_key_is_not_found(app, client, message_id):
    response = client.get(path(message_id, 1, secret="attacker-secret"))

    assert response.status_code == 404
    assert count(app, MessageEvent) == 0


def test_a_link_number_the_message_does_not_have_is_not_found(app, client, message_id):
    assert client.get(path(message_id, 7)).status_code == 404


def test_a_link_of_an_unknown_message_is_not_found(app, client, message_id):
    assert client.get(path(message_id + 100, 0)).status_code == 404


def test_a_stored_link_that_is_not_http_is_never_followed(app, client, message_id):
    response = client.get(path(message_id, 2))

    assert response.status_code == 404
    assert count(app, MessageEvent) == 0


def test_a_stored_link_to_another_domain_leads_to_the_shop_home_instead(app, client, message_id):
    # a message sent before links were checked at send time (issue 14.2) still cannot lead away
    response = client.get(path(message_id, 3))

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{STOREFRONT}/?sf_c=")
    assert "evil.example" not in location


def test_a_link_the_merchant_set_in_the_flows_settings_is_followed(app, client, factory, clock):
    shop = factory.shop(storefront_url=STOREFRONT)
    factory.enable(shop, "abandoned_checkout", abandoned_checkout={"params": {"survey_url": SURVEY}})
    contact = factory.contact(shop, email="jane@example.com")
    message = sent_message(db.session, shop, contact, clock.now(), links=[SURVEY])

    assert client.get(path(message.id, 0)).headers["Location"] == SURVEY


def test_a_hand_made_token_cannot_name_a_url(app, client, message_id):
    response = client.get("/c/https%3A%2F%2Fevil.example")

    assert response.status_code == 404
