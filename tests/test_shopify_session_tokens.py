"""App Bridge session tokens: real HS256 JWTs signed with the test client secret.

https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.core.clock import utcnow
from app.core.config import Config
from app.platforms.shopify.errors import SessionTokenError
from app.platforms.shopify.session_tokens import SessionToken, verify_session_token
from tests.support.shopify import SHOP_DOMAIN, TEST_CLIENT_ID, TEST_SECRET
from tests.support.shopify_api import session_token

# TEST_SECRET is shorter than RFC 7518 recommends for HS256; real client secrets are not.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")

ADMIN_URL = "https://storeflow.test/admin"
RETRY = "X-Shopify-Retry-Invalid-Session-Request"


@pytest.fixture
def config(app: Flask) -> Config:
    config: Config = app.extensions["storeflow"].config
    return config


def fetch(config: Config, token: str) -> SessionToken:
    """Verify a token the way App Bridge sends it on fetch requests."""
    return verify_session_token("GET", ADMIN_URL, {"Authorization": f"Bearer {token}"}, config)


def refusal(config: Config, token: str) -> SessionTokenError:
    with pytest.raises(SessionTokenError) as caught:
        fetch(config, token)
    return caught.value


def test_valid_token_names_the_shop_and_user(config: Config) -> None:
    verified = fetch(config, session_token())

    assert verified.shop_domain == SHOP_DOMAIN
    assert verified.user_id == "74312"
    assert verified.id_token.exchangeable
    assert verified.id_token.claims["aud"] == TEST_CLIENT_ID


def test_valid_token_in_the_id_token_query_parameter_is_accepted(config: Config) -> None:
    verified = verify_session_token(
        "GET", f"{ADMIN_URL}?id_token={session_token()}&shop={SHOP_DOMAIN}", {}, config
    )

    assert verified.shop_domain == SHOP_DOMAIN


def test_page_load_gets_the_headers_to_render_inside_the_admin(config: Config) -> None:
    verified = verify_session_token("GET", f"{ADMIN_URL}?id_token={session_token()}", {}, config)

    assert verified.response_headers["Content-Security-Policy"] == (
        f"frame-ancestors https://{SHOP_DOMAIN} https://admin.shopify.com;"
    )


def test_token_signed_with_the_previous_secret_is_accepted_while_rotating(config: Config) -> None:
    rotated = config.replace(shopify_api_secret="rotated-secret", shopify_api_secret_old=TEST_SECRET)

    assert fetch(rotated, session_token()).shop_domain == SHOP_DOMAIN


def test_token_within_the_ten_second_leeway_is_accepted(config: Config) -> None:
    token = session_token(now=utcnow() - timedelta(seconds=65))  # expired 5 s ago

    assert fetch(config, token).shop_domain == SHOP_DOMAIN


def test_expired_token_is_refused_with_the_retry_header(config: Config) -> None:
    token = session_token(now=utcnow() - timedelta(minutes=2))

    error = refusal(config, token)

    assert error.status == 401
    assert error.headers[RETRY] == "1"


def test_token_for_another_app_is_refused(config: Config) -> None:
    assert refusal(config, session_token(aud="some-other-client-id")).status == 401


def test_token_with_a_wrong_signature_is_refused(config: Config) -> None:
    assert refusal(config, session_token(secret="not-the-app-secret")).status == 401


def test_token_not_yet_valid_is_refused(config: Config) -> None:
    token = session_token(nbf=utcnow() + timedelta(minutes=1))

    assert refusal(config, token).status == 401


def test_token_whose_dest_is_not_a_myshopify_shop_is_refused(config: Config) -> None:
    token = session_token(dest="https://shop.evil.example.com", iss="https://shop.evil.example.com/admin")

    assert refusal(config, token).status == 401


def test_token_whose_iss_is_another_shop_is_refused(config: Config) -> None:
    token = session_token(iss="https://other-shop.myshopify.com/admin")

    assert refusal(config, token).status == 401


def test_token_without_exp_is_refused(config: Config) -> None:
    assert refusal(config, session_token(exp=None)).status == 401


def test_missing_token_on_a_page_load_redirects_to_the_patch_page(config: Config) -> None:
    with pytest.raises(SessionTokenError) as caught:
        verify_session_token("GET", f"{ADMIN_URL}?shop={SHOP_DOMAIN}", {}, config)

    assert caught.value.status == 302
    assert caught.value.headers["Location"].startswith("https://storeflow.test/shopify/patch-id-token?")


def test_empty_bearer_token_is_refused(config: Config) -> None:
    with pytest.raises(SessionTokenError) as caught:
        verify_session_token("GET", ADMIN_URL, {"Authorization": "Bearer "}, config)

    assert caught.value.status == 401


def test_patch_page_loads_app_bridge_with_the_client_id(client: FlaskClient) -> None:
    response = client.get(
        "/shopify/patch-id-token", query_string={"shop": SHOP_DOMAIN, "shopify-reload": "/admin?shop=x"}
    )

    assert response.status_code == 200
    assert f'data-api-key="{TEST_CLIENT_ID}"' in response.text
    assert "app-bridge.js" in response.text
