"""An installation whose webhooks were made from older queries gets them rewritten in place."""

from __future__ import annotations

import json

import pytest
import responses

from app.db.models import Shop
from app.jobs.installs import sync_saleor_webhooks
from app.platforms.saleor.manifest import fingerprint, subscribed_events, webhook_definitions
from tests.support.db import rows
from tests.support.saleor import ALLOWLIST, API_URL, APP_ID


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


@pytest.fixture
def saleor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def stale_shop(factory, app):
    return factory.shop(
        domain=API_URL,
        platform="saleor",
        access_token_enc=app.extensions["storeflow"].cipher.encrypt("app-token"),
        settings={"saleor": {"app_id": APP_ID, "webhooks_fingerprint": "older-queries"}},
    )


def graphql_answers(saleor, existing):
    """Answer the app's webhook list, then every mutation, successfully; return the mock."""

    def answer(request):
        document = json.loads(request.body)
        if "app { webhooks" in document["query"]:
            hooks = [{"id": f"V2ViaG9vazo{i}", "name": name} for i, name in enumerate(existing)]
            return 200, {}, json.dumps({"data": {"app": {"webhooks": hooks}}})
        field = "webhookUpdate" if "webhookUpdate" in document["query"] else "webhookCreate"
        return 200, {}, json.dumps({"data": {field: {"errors": []}}})

    return saleor.add_callback(responses.POST, API_URL, callback=answer)


def sent(saleor):
    return [json.loads(call.request.body) for call in saleor.calls]


def test_existing_webhooks_are_updated_with_the_current_queries(app, saleor, stale_shop):
    names = [d.name for d in webhook_definitions(app.extensions["storeflow"].config)]
    graphql_answers(saleor, names)

    with app.app_context():
        outcome = sync_saleor_webhooks(stale_shop.id)

    updates = [request for request in sent(saleor) if "webhookUpdate" in request["query"]]
    assert outcome == "updated"
    assert len(updates) == len(names)
    assert updates[0]["variables"]["id"] == "V2ViaG9vazo0"
    assert updates[0]["variables"]["input"]["query"].startswith("subscription StoreflowCheckoutEvents")
    assert saleor.calls[0].request.headers["Authorization"] == "Bearer app-token"


@pytest.mark.parametrize(
    ("webhook", "event", "event_type"),
    [
        ("Storeflow checkouts", "CHECKOUT_METADATA_UPDATED", "CheckoutMetadataUpdated"),
        ("Storeflow orders", "ORDER_METADATA_UPDATED", "OrderMetadataUpdated"),
        ("Storeflow customers", "CUSTOMER_METADATA_UPDATED", "CustomerMetadataUpdated"),
    ],
)
def test_an_installation_from_before_the_metadata_events_is_subscribed_to_them(
    app, saleor, stale_shop, webhook, event, event_type
):
    # installed with the webhooks as they were: same names, without the *_METADATA_UPDATED events
    graphql_answers(saleor, ["Storeflow checkouts", "Storeflow orders", "Storeflow customers"])

    with app.app_context():
        sync_saleor_webhooks(stale_shop.id)

    (update,) = [
        r["variables"]["input"]
        for r in sent(saleor)
        if "webhookUpdate" in r["query"] and r["variables"]["input"]["name"] == webhook
    ]
    assert event in update["asyncEvents"]
    assert f"... on {event_type} {{" in update["query"]


def test_a_webhook_missing_on_the_instance_is_created(app, saleor, stale_shop):
    graphql_answers(saleor, ["Storeflow checkouts"])

    with app.app_context():
        sync_saleor_webhooks(stale_shop.id)

    created = [r["variables"]["input"]["name"] for r in sent(saleor) if "webhookCreate" in r["query"]]
    assert created == [
        "Storeflow orders",
        "Storeflow customers",
        "Storeflow products",
        "Storeflow product variants",
        "Storeflow app lifecycle",
    ]


def test_the_new_fingerprint_is_remembered(app, saleor, stale_shop):
    graphql_answers(saleor, [])

    with app.app_context():
        sync_saleor_webhooks(stale_shop.id)

    settings = rows(app, Shop)[0].settings["saleor"]
    assert settings["webhooks_fingerprint"] == fingerprint(app.extensions["storeflow"].config)
    assert settings["app_id"] == APP_ID


def test_a_current_installation_is_left_alone(app, saleor, stale_shop, factory):
    stale_shop.settings = {
        "saleor": {"webhooks_fingerprint": fingerprint(app.extensions["storeflow"].config)}
    }
    factory.session.commit()

    with app.app_context():
        outcome = sync_saleor_webhooks(stale_shop.id)

    assert (outcome, len(saleor.calls)) == ("current", 0)


def test_a_refused_update_is_recorded_not_retried(app, saleor, stale_shop):
    saleor.post(API_URL, status=401, json={"errors": [{"message": "Invalid token"}]})

    with app.app_context():
        outcome = sync_saleor_webhooks(stale_shop.id)

    assert outcome == "refused"
    assert rows(app, Shop)[0].settings["saleor"]["webhooks_fingerprint"] == "older-queries"


def test_an_unreachable_instance_raises_so_rq_retries(app, saleor, stale_shop):
    from app.platforms.saleor.errors import SaleorApiError

    saleor.post(API_URL, status=503)

    with app.app_context(), pytest.raises(SaleorApiError):
        sync_saleor_webhooks(stale_shop.id)


def test_an_updated_installation_accepts_the_events_its_new_webhooks_subscribe_to(app, saleor, factory):
    shop = factory.shop(
        domain=API_URL,
        platform="saleor",
        access_token_enc=app.extensions["storeflow"].cipher.encrypt("app-token"),
        settings={"saleor": {"app_id": APP_ID, "webhooks_fingerprint": "older", "events": ["order_created"]}},
    )
    graphql_answers(saleor, [])

    with app.app_context():
        sync_saleor_webhooks(shop.id)

    (stored,) = rows(app, Shop)
    assert set(stored.settings["saleor"]["events"]) == subscribed_events(app.extensions["storeflow"].config)
