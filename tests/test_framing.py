"""Clickjacking: every page Storeflow serves says who may frame it. Nobody, unless the page is meant
to live in a frame: the embedded Shopify admin (its shop and admin.shopify.com), the Saleor
dashboard's app page (the allowlisted instances and the operator's dashboards), and the hosted
notify-me form (the shop's own storefronts).

https://shopify.dev/docs/apps/build/security/set-up-iframe-protection
"""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.support import saleor
from tests.support.admin import log_in
from tests.support.shopify import SHOP_DOMAIN
from tests.support.shopify_api import session_token

DASHBOARD = "https://dashboard.example.com"
STOREFRONT = "https://demo-shop.example"
FRAMED_ON_PURPOSE = {"saleor_app.dashboard_entry", "notify.form", "shopify_install.patch_id_token"}


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": saleor.ALLOWLIST, "saleor_dashboard_origins": (DASHBOARD,)}


@pytest.fixture
def shop(factory):
    return factory.shop(access_token_enc="enc", name="Alpha Goods", storefront_url=STOREFRONT)


def frame_ancestors(response) -> str | None:
    found = re.search(r"frame-ancestors ([^;]+)", response.headers.get("Content-Security-Policy", ""))
    return found.group(1).strip() if found else None


def assert_never_framed(response, where: str) -> None:
    assert frame_ancestors(response) == "'none'", (
        f"{where}: {response.headers.get('Content-Security-Policy')}"
    )
    assert response.headers.get("X-Frame-Options") == "DENY", where


def example_path(rule, shop) -> str:
    """Fill a route's variables with plausible values (a real storefront key; ids that do not exist)."""
    values = {
        name: "1" if "int" in type(converter).__name__.lower() else "x"
        for name, converter in rule._converters.items()
    }
    values.update(
        {
            k: v
            for k, v in {"flow_key": "abandoned_checkout", "fmt": "json", "step": "1"}.items()
            if k in values
        }
    )
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<[^>]*\b{name}>", value, path)
    return path + (f"?k={shop.storefront_key}&product_id=1" if rule.endpoint.startswith("notify.") else "")


def test_every_html_page_of_a_signed_in_merchant_refuses_to_be_framed(app: Flask, client, shop):
    csrf_token = log_in(client, shop.id)
    seen_html = 0

    for rule in app.url_map.iter_rules():
        if rule.endpoint in FRAMED_ON_PURPOSE or rule.endpoint == "admin.logout":
            continue
        path = example_path(rule, shop)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, data={"csrf_token": csrf_token})
            if response.mimetype == "text/html":
                seen_html += 1
                assert_never_framed(response, f"{method} {path} ({response.status_code})")

    assert seen_html > 20


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/support",
        "/admin",
        "/admin/settings",
        "/admin/nowhere",
        "/nowhere",
        "/u/forged",
        "/confirm/forged",
    ],
)
def test_public_and_error_pages_refuse_to_be_framed(client, path):
    response = client.get(path)

    assert response.mimetype == "text/html"
    assert_never_framed(response, path)


def test_the_embedded_shopify_admin_may_be_framed_only_by_its_shop_and_the_shopify_admin(client, shop):
    response = client.get(f"/admin?embedded=1&shop={SHOP_DOMAIN}&id_token={session_token()}")

    assert response.status_code == 200
    assert frame_ancestors(response) == f"https://{SHOP_DOMAIN} https://admin.shopify.com"
    assert "X-Frame-Options" not in response.headers


def test_the_app_bridge_token_page_may_be_framed_only_by_its_shop(client):
    response = client.get(f"/shopify/patch-id-token?shop={SHOP_DOMAIN}&shopify-reload=%2Fadmin")

    assert response.status_code == 200
    assert frame_ancestors(response) == f"https://{SHOP_DOMAIN} https://admin.shopify.com"


def test_the_app_bridge_token_page_refuses_a_shop_that_is_not_on_myshopify(client):
    response = client.get("/shopify/patch-id-token?shop=evil.example&shopify-reload=%2Fadmin")

    assert response.status_code == 400
    assert "evil.example" not in response.headers.get("Content-Security-Policy", "")
    assert_never_framed(response, "patch-id-token for evil.example")


def test_the_saleor_app_page_may_be_framed_by_the_allowlisted_instances_and_the_dashboards(client):
    response = client.get(f"/saleor/app?saleorApiUrl={saleor.API_URL}")

    assert response.status_code == 200
    assert frame_ancestors(response) == f"https://*.saleor.test {DASHBOARD}"
    assert "X-Frame-Options" not in response.headers


def test_the_hosted_notify_form_may_be_framed_by_the_shops_storefronts(client, shop):
    response = client.get(f"/storefront/notify?k={shop.storefront_key}&product_id=1")

    assert response.status_code == 200
    assert set((frame_ancestors(response) or "").split()) == {f"https://{SHOP_DOMAIN}", STOREFRONT}


def test_admin_pages_fetched_with_a_saleor_dashboard_token_refuse_to_be_framed(app, client, factory):
    from app.platforms.saleor.manifest import fingerprint

    factory.shop(
        domain=saleor.API_URL,
        platform="saleor",
        access_token_enc=app.extensions["storeflow"].cipher.encrypt("app-token"),
        settings={
            "saleor": {
                "app_id": saleor.APP_ID,
                "webhooks_fingerprint": fingerprint(app.extensions["storeflow"].config),
            }
        },
    )
    import responses

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        saleor.serve_jwks(mock, saleor.signing_key("k1"))
        response = client.get(
            "/admin",
            headers={
                "Authorization": f"Bearer {saleor.signing_key('k1').dashboard_token()}",
                "Saleor-Api-Url": saleor.API_URL,
            },
        )

    assert response.status_code == 200
    assert_never_framed(response, "/admin with a Saleor dashboard token")
