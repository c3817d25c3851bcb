"""Every header a delivery is stored with is bounded the same way on both platforms (webhooks/inbox.py).

A correctly signed delivery must never be answered 503 for something a retry cannot change: the
platform would retry it for hours (Shopify then deletes the subscription). Descriptive headers
(API or schema version, webhook id) are cut to their column; the event id, which dedupes, is never
cut (two cut ids could collide) but stored as its SHA-256 when too long; NULs are dropped. Headers
that name what the delivery is (topic, shop) are checked against what we know and refused with a 400
(Shopify) or 401 (Saleor, an instance we cannot name) otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from app.db.models import WebhookEvent
from tests.support import saleor, shopify
from tests.support.db import rows
from tests.support.samples import sample

CHECKOUT = sample("shopify", "checkouts_create__shopifydocs-2026-04")
SALEOR_ORDER = sample("saleor", "ORDER_CREATED__saleor-apps-smtp-example")
LONG = "x" * 300
VERSION_39 = "2026-04-unstable-preview-build-12345678"  # 39 characters, past the 32 of the column


@pytest.fixture
def config_changes() -> dict[str, object]:
    return {"saleor_allowed_api_urls": saleor.ALLOWLIST}


@pytest.fixture
def shop(factory):
    return factory.shop()


@pytest.fixture
def saleor_shop(factory) -> Iterator[None]:
    factory.shop(domain=saleor.API_URL, platform="saleor")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        saleor.serve_jwks(mock, saleor.signing_key("k1"))
        yield


def test_a_39_character_shopify_api_version_is_stored_cut_to_its_column_not_answered_503(app, client, shop):
    response = shopify.deliver(client, "checkouts/create", CHECKOUT, **{"X-Shopify-API-Version": VERSION_39})

    assert response.status_code == 200
    assert [event.api_version for event in rows(app, WebhookEvent)] == [VERSION_39[:32]]


@pytest.mark.parametrize(
    ("header", "column", "stored"),
    [
        ("X-Shopify-API-Version", "api_version", LONG[:32]),
        ("X-Shopify-Webhook-Id", "webhook_id", LONG[:255]),
    ],
)
def test_a_descriptive_shopify_header_too_long_for_its_column_is_stored_cut(
    app, client, shop, header, column, stored
):
    response = shopify.deliver(client, "checkouts/create", CHECKOUT, **{header: LONG})

    assert response.status_code == 200
    assert [getattr(event, column) for event in rows(app, WebhookEvent)] == [stored]


def test_a_shopify_event_id_too_long_for_its_column_is_stored_as_its_digest_and_still_dedupes(
    app, client, shop
):
    first = shopify.deliver(client, "checkouts/create", CHECKOUT, event_id=LONG)
    again = shopify.deliver(client, "checkouts/create", CHECKOUT, event_id=LONG)
    other = shopify.deliver(client, "checkouts/create", CHECKOUT, event_id=LONG + "y")

    assert [r.json["status"] for r in (first, again, other)] == ["stored", "duplicate", "stored"]
    event_ids = [event.event_id for event in rows(app, WebhookEvent)]
    assert len(event_ids) == 2 and all(e.startswith("sha256:") and len(e) == 71 for e in event_ids)


@pytest.mark.parametrize("header", ["X-Shopify-API-Version", "X-Shopify-Webhook-Id", "X-Shopify-Event-Id"])
def test_a_nul_in_a_stored_shopify_header_is_dropped_not_answered_503(app, client, shop, header):
    response = shopify.deliver(client, "checkouts/create", CHECKOUT, **{header: "2026\x00-04"})

    assert response.status_code == 200
    (event,) = rows(app, WebhookEvent)
    assert "2026-04" in (event.api_version, event.webhook_id, event.event_id)


@pytest.mark.parametrize("domain", [LONG + ".myshopify.com", "demo\x00shop.myshopify.com"])
def test_a_shop_domain_that_cannot_be_ours_is_refused_with_400(app, client, shop, domain):
    response = shopify.deliver(client, "checkouts/create", CHECKOUT, shop_domain=domain)

    assert response.status_code == 400
    assert rows(app, WebhookEvent) == []


@pytest.mark.parametrize("topic", [LONG, "checkouts/create\x00"])
def test_a_topic_that_is_not_ours_is_refused_with_400(app, client, shop, topic):
    response = shopify.deliver(client, topic, CHECKOUT)

    assert response.status_code == 400
    assert rows(app, WebhookEvent) == []


@pytest.mark.parametrize(("version", "stored"), [(VERSION_39, VERSION_39[:32]), ("3.23\x00", "3.23")])
def test_a_saleor_schema_version_is_bounded_like_shopifys_api_version(
    app, client, saleor_shop, version, stored
):
    response = saleor.deliver(client, "ORDER_CREATED", SALEOR_ORDER, **{"Saleor-Schema-Version": version})

    assert response.status_code == 200
    assert [event.api_version for event in rows(app, WebhookEvent)] == [stored]


@pytest.mark.parametrize("event", [LONG, "order_created\x00"])
def test_a_saleor_event_that_is_not_ours_is_refused_with_400(app, client, saleor_shop, event):
    response = saleor.deliver(client, "ORDER_CREATED", SALEOR_ORDER, **{"Saleor-Event": event})

    assert response.status_code == 400
    assert rows(app, WebhookEvent) == []


@pytest.mark.parametrize("api_url", [saleor.API_URL + LONG + "/", "https://demo\x00.saleor.test/graphql/"])
def test_a_saleor_api_url_that_names_no_installation_is_refused_with_401(app, client, saleor_shop, api_url):
    response = saleor.deliver(client, "ORDER_CREATED", SALEOR_ORDER, api_url=api_url)

    assert response.status_code == 401
    assert rows(app, WebhookEvent) == []
