"""OAuth authorization-code grant (non-embedded installs).

https://shopify.dev/docs/apps/build/authentication-authorization/get-access-tokens/authorization-code-grant
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from app.core.clock import ManualClock
from app.db import db
from app.db.models import Shop
from app.jobs.services import Services
from app.platforms.shopify.errors import InvalidHmacError
from app.platforms.shopify.oauth import OAUTH_SESSION_KEY, query_hmac, verify_query_hmac
from tests.support.db import count, rows
from tests.support.factories import Factory
from tests.support.shopify import SHOP_DOMAIN, TEST_CLIENT_ID, TEST_SECRET
from tests.support.shopify_api import SCOPES, epoch, signed_query, token_grant, token_url


@pytest.fixture
def token_endpoint() -> Iterator[responses.RequestsMock]:
    """Fake the shop's token endpoint for the code exchange (requests goes through `responses`)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(token_url(), json=token_grant(access_token="shpat_oauth", refresh_token="shprt_oauth"))
        yield mock


def services_of(app: Flask) -> Services:
    services: Services = app.extensions["storeflow"]
    return services


def start_install(client: FlaskClient, shop: str = SHOP_DOMAIN) -> str:
    """Run /shopify/install and return the state Storeflow sent to Shopify."""
    response = client.get("/shopify/install", query_string={"shop": shop})
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["Location"]).query)["state"][0]


def callback_query(
    clock: ManualClock, state: str, shop: str = SHOP_DOMAIN, **overrides: str
) -> dict[str, str]:
    """Return the signed query Shopify redirects the merchant back with."""
    params = {
        "code": "0907a61c0c8d55e99db179b68161bc00",
        "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvZGVtby1zaG9w",
        "shop": shop,
        "state": state,
        "timestamp": epoch(clock.now()),
    }
    params.update(overrides)
    return signed_query(**params)


def test_query_hmac_matches_shopifys_documented_example() -> None:
    params = [
        ("code", "0907a61c0c8d55e99db179b68161bc00"),
        ("shop", "some-shop.myshopify.com"),
        ("state", "0.6784241404160823"),
        ("timestamp", "1337178173"),
    ]
    assert query_hmac(params, "hush") == "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"


def test_hmac_under_the_previous_secret_is_accepted_while_rotating(app: Flask) -> None:
    config = services_of(app).config.replace(
        shopify_api_secret="rotated-secret", shopify_api_secret_old=TEST_SECRET
    )
    verify_query_hmac(MultiDict(signed_query(shop=SHOP_DOMAIN, timestamp="1337178173")), config)


def test_hmac_cannot_be_reused_by_folding_two_pairs_into_one(app: Flask) -> None:
    signed = signed_query(shop=SHOP_DOMAIN, timestamp="1337178173")
    # Unescaped, "shop=<domain>&timestamp=..." would be the very message that was signed.
    folded = MultiDict({"shop": f"{SHOP_DOMAIN}&timestamp=1337178173", "hmac": signed["hmac"]})

    with pytest.raises(InvalidHmacError):
        verify_query_hmac(folded, services_of(app).config)


def test_install_redirects_to_shopify_authorize_with_offline_access(client: FlaskClient) -> None:
    response = client.get(
        "/shopify/install", query_string=signed_query(shop=SHOP_DOMAIN, timestamp="1337178173")
    )

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    query = parse_qs(location.query)
    assert (location.scheme, location.netloc, location.path) == (
        "https",
        SHOP_DOMAIN,
        "/admin/oauth/authorize",
    )
    assert query["client_id"] == [TEST_CLIENT_ID]
    assert query["scope"] == [SCOPES]
    assert query["redirect_uri"] == ["https://storeflow.test/shopify/callback"]
    assert "grant_options[]" not in query
    with client.session_transaction() as session:
        assert session[OAUTH_SESSION_KEY] == {"state": query["state"][0], "shop": SHOP_DOMAIN}


def test_install_lowercases_the_shop_domain(client: FlaskClient) -> None:
    response = client.get("/shopify/install", query_string={"shop": "Demo-Shop.MyShopify.com"})

    assert urlsplit(response.headers["Location"]).netloc == SHOP_DOMAIN


@pytest.mark.parametrize(
    "shop", ["evil.example.com", "demo-shop.myshopify.com.evil.com", "-demo.myshopify.com", "demo shop", ""]
)
def test_install_refuses_a_shop_that_is_not_a_myshopify_domain(client: FlaskClient, shop: str) -> None:
    response = client.get("/shopify/install", query_string={"shop": shop})

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_install_with_a_forged_hmac_is_refused(client: FlaskClient) -> None:
    query = signed_query(secret="not-the-app-secret", shop=SHOP_DOMAIN, timestamp="1337178173")

    response = client.get("/shopify/install", query_string=query)

    assert response.status_code == 401


def test_callback_stores_encrypted_tokens_and_logs_the_merchant_in(
    app: Flask, client: FlaskClient, clock: ManualClock, token_endpoint: responses.RequestsMock
) -> None:
    state = start_install(client)

    response = client.get("/shopify/callback", query_string=callback_query(clock, state))

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin"
    [shop] = rows(app, Shop)
    cipher = services_of(app).cipher
    assert shop.access_token_enc != "shpat_oauth"
    assert cipher.decrypt(shop.access_token_enc) == "shpat_oauth"
    assert shop.refresh_token_enc != "shprt_oauth"
    assert cipher.decrypt(shop.refresh_token_enc) == "shprt_oauth"
    assert shop.access_token_expires_at == clock.now() + timedelta(hours=1)
    assert shop.refresh_token_expires_at == clock.now() + timedelta(days=90)
    assert (shop.platform, shop.domain, shop.scopes) == ("shopify", SHOP_DOMAIN, SCOPES)
    assert shop.installed_at == clock.now()
    assert shop.is_installed
    with client.session_transaction() as session:
        assert session["shop_id"] == shop.id
        assert OAUTH_SESSION_KEY not in session


def test_callback_exchanges_the_code_for_expiring_offline_tokens(
    client: FlaskClient, clock: ManualClock, token_endpoint: responses.RequestsMock
) -> None:
    state = start_install(client)

    client.get("/shopify/callback", query_string=callback_query(clock, state))

    [call] = token_endpoint.calls
    assert json.loads(call.request.body or b"") == {
        "client_id": TEST_CLIENT_ID,
        "client_secret": TEST_SECRET,
        "code": "0907a61c0c8d55e99db179b68161bc00",
        "expiring": 1,
    }


def test_callback_queues_after_install_for_the_shop(
    app: Flask, client: FlaskClient, clock: ManualClock, token_endpoint: responses.RequestsMock
) -> None:
    state = start_install(client)

    client.get("/shopify/callback", query_string=callback_query(clock, state))

    [shop] = rows(app, Shop)
    [job] = services_of(app).queue.jobs
    assert (job.func_name, job.args) == ("app.jobs.installs.after_shopify_install", (shop.id,))


def test_callback_with_a_forged_hmac_is_refused_and_stores_nothing(
    app: Flask, client: FlaskClient, clock: ManualClock, token_endpoint: responses.RequestsMock
) -> None:
    state = start_install(client)
    query = callback_query(clock, state)
    query["code"] = "a-code-shopify-never-signed"

    response = client.get("/shopify/callback", query_string=query)

    assert response.status_code == 401
    assert count(app, Shop) == 0
    assert not token_endpoint.calls


def test_callback_with_another_state_is_refused(
    app: Flask, client: FlaskClient, clock: ManualClock, token_endpoint: responses.RequestsMock
) -> None:
    start_install(client)

    response = client.get(
        "/shopify/callback", query_string=callback_query(clock, "state-from-another-browser")
    )

    assert response.status_code == 403
    assert count(app, Shop) == 0


def test_callback_without_an_install_in_this_browser_is_refused(
    app: Flask, client: FlaskClient, clock: ManualClock, token_endpoint: responses.RequestsMock
) -> None:
    response = client.get("/shopify/callback", query_string=callback_query(clock, "guessed-state"))

    assert response.status_code == 403
    assert count(app, Shop) == 0


def test_callback_state_is_single_use(
    client: FlaskClient, clock: ManualClock, token_endpoint: responses.RequestsMock
) -> None:
    state = start_install(client)
    query = callback_query(clock, state)
    client.get("/shopify/callback", query_string=query)

    replay = client.get("/shopify/callback", query_string=query)

    assert replay.status_code == 403


def test_callback_with_a_non_ascii_state_is_refused_not_crashed(
    client: FlaskClient, clock: ManualClock, token_endpoint: responses.RequestsMock
) -> None:
    start_install(client)

    response = client.get("/shopify/callback", query_string=callback_query(clock, "état"))

    assert response.status_code == 403


def test_callback_with_a_non_hex_hmac_is_refused_not_crashed(
    client: FlaskClient, clock: ManualClock, token_endpoint: responses.RequestsMock
) -> None:
    state = start_install(client)
    query = callback_query(clock, state)
    query["hmac"] = "é" * 64

    response = client.get("/shopify/callback", query_string=query)

    assert response.status_code == 401


def test_callback_older_than_a_day_is_refused(
    app: Flask, client: FlaskClient, clock: ManualClock, token_endpoint: responses.RequestsMock
) -> None:
    state = start_install(client)
    signed_at = clock.now() - timedelta(hours=24, minutes=1)

    response = client.get(
        "/shopify/callback", query_string=callback_query(clock, state, timestamp=epoch(signed_at))
    )

    assert response.status_code == 401
    assert count(app, Shop) == 0


def test_callback_for_a_shop_that_is_not_a_myshopify_domain_is_refused(
    app: Flask, client: FlaskClient, clock: ManualClock, token_endpoint: responses.RequestsMock
) -> None:
    with client.session_transaction() as session:
        session[OAUTH_SESSION_KEY] = {"state": "s1", "shop": "evil.example.com"}

    response = client.get(
        "/shopify/callback", query_string=callback_query(clock, "s1", shop="evil.example.com")
    )

    assert response.status_code == 400
    assert count(app, Shop) == 0
    assert not token_endpoint.calls


def test_callback_when_shopify_refuses_the_code_is_a_clear_400(
    app: Flask, client: FlaskClient, clock: ManualClock
) -> None:
    state = start_install(client)
    with responses.RequestsMock() as mock:
        mock.post(
            token_url(),
            status=400,
            json={"error": "invalid_request", "error_description": "The authorization code was not found"},
        )

        response = client.get("/shopify/callback", query_string=callback_query(clock, state))

    assert response.status_code == 400
    assert "authorization code was not found" in response.text
    assert count(app, Shop) == 0


def test_reinstall_after_uninstall_clears_uninstalled_at(
    app: Flask,
    client: FlaskClient,
    clock: ManualClock,
    factory: Factory,
    token_endpoint: responses.RequestsMock,
) -> None:
    factory.shop(uninstalled_at=clock.now() - timedelta(days=3), access_token_enc=None)
    clock.advance(timedelta(minutes=5))
    state = start_install(client)

    client.get("/shopify/callback", query_string=callback_query(clock, state))

    [shop] = rows(app, Shop)
    assert shop.uninstalled_at is None
    assert shop.installed_at == clock.now()
    assert services_of(app).cipher.decrypt(shop.access_token_enc) == "shpat_oauth"


def test_install_forgets_the_cached_shop_lookup(
    app: Flask,
    client: FlaskClient,
    clock: ManualClock,
    factory: Factory,
    token_endpoint: responses.RequestsMock,
) -> None:
    shop_id = factory.shop(uninstalled_at=clock.now()).id
    directory = services_of(app).shop_directory
    with app.app_context():
        ref = directory.lookup(db.engine, "shopify", SHOP_DOMAIN)
        assert ref is not None
        assert (ref.id, ref.installed) == (shop_id, False)
    state = start_install(client)

    client.get("/shopify/callback", query_string=callback_query(clock, state))

    with app.app_context():
        ref = directory.lookup(db.engine, "shopify", SHOP_DOMAIN)
        assert ref is not None
        assert (ref.id, ref.installed) == (shop_id, True)
