"""A deployment serves the platforms whose variables are set; the other platform's doors answer a
clear 404 naming what to set, never a 500 (a Saleor-only deployment has no Shopify secret at all)."""

from __future__ import annotations

import pytest

from tests.support import saleor
from tests.support.shopify import SHOP_DOMAIN, deliver
from tests.support.shopify_api import session_token

SALEOR_ONLY = {"shopify_api_key": "", "shopify_api_secret": "", "saleor_allowed_api_urls": saleor.ALLOWLIST}


@pytest.mark.parametrize("config_changes", [SALEOR_ONLY])
@pytest.mark.parametrize(
    "path",
    [
        "/shopify/install?shop=demo-shop.myshopify.com",
        "/shopify/callback?shop=demo-shop.myshopify.com&code=x&state=y&hmac=z",
        "/shopify/patch-id-token?shop=demo-shop.myshopify.com&shopify-reload=%2Fadmin",
        f"/admin?embedded=1&shop={SHOP_DOMAIN}&host=YWRtaW4",
        f"/?embedded=1&shop={SHOP_DOMAIN}&host=YWRtaW4",
    ],
)
def test_a_saleor_only_deployment_answers_shopify_pages_with_a_404_that_says_why(
    client, path, config_changes
):
    response = client.get(path, follow_redirects=True)

    assert response.status_code == 404
    assert "does not serve Shopify stores" in response.text
    assert "SHOPIFY_API_KEY" in response.text


@pytest.mark.parametrize("config_changes", [SALEOR_ONLY])
def test_a_saleor_only_deployment_answers_a_shopify_session_token_with_404(client, config_changes):
    response = client.get("/admin", headers={"Authorization": f"Bearer {session_token()}"})

    assert response.status_code == 404


@pytest.mark.parametrize("config_changes", [SALEOR_ONLY])
def test_a_saleor_only_deployment_refuses_shopify_webhooks_with_404(client, config_changes):
    response = deliver(client, "checkouts/create", {"token": "abc"})

    assert response.status_code == 404
    assert "does not serve Shopify stores" in response.json["error"]


@pytest.mark.parametrize("path", ["/saleor/manifest", "/saleor/app", "/saleor/privacy"])
def test_a_shopify_only_deployment_answers_saleor_pages_with_a_404_that_says_why(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert "does not serve Saleor stores" in response.text
    assert "SALEOR_ALLOWED_API_URLS" in response.text


def test_a_shopify_only_deployment_refuses_saleor_webhooks_with_404(client):
    body = b'{"checkout": {}}'
    response = client.post(
        "/webhooks/saleor",
        data=body,
        headers=saleor.saleor_headers(body, "checkout_created", saleor.signing_key("k1")),
    )

    assert response.status_code == 404
    assert "does not serve Saleor stores" in response.json["error"]


def test_a_shopify_only_deployment_refuses_saleor_installs_in_the_dashboards_format(client):
    response = client.post(
        "/saleor/register", json={"auth_token": "t"}, headers={"Saleor-Api-Url": saleor.API_URL}
    )

    assert response.status_code == 403
    assert response.json["success"] is False
    assert "SALEOR_ALLOWED_API_URLS" in response.json["error"]["message"]
