"""The storefront's scripts: on a Shopify shop's own domain through the signed app proxy, and for
headless storefronts with CORS for the shop's own origins only.

https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from app.db.models import Shop
from app.platforms.shopify.app_proxy import PROXY_ROOT, signed_query
from app.web.storefront import scripts
from tests.support.factories import Factory
from tests.support.shopify import SHOP_DOMAIN, TEST_SECRET

STATIC = Path(__file__).resolve().parents[1] / "app" / "static"
STOREFRONT = "https://shop.demo.test"


@pytest.fixture
def shop(factory: Factory) -> Shop:
    return factory.shop(storefront_url=STOREFRONT)


def proxied(path: str, secret: str = TEST_SECRET, **changes: str) -> str:
    """The URL Shopify's app proxy requests for ``/apps/storeflow/<path>``: its parameters, signed."""
    params = {
        "shop": SHOP_DOMAIN,
        "logged_in_customer_id": "",
        "path_prefix": "/apps/storeflow",
        "timestamp": str(int(time.time())),
        **changes,
    }
    return f"{PROXY_ROOT}/{path}?{signed_query(params, secret)}"


def test_the_service_worker_is_served_through_the_proxy_as_javascript_revalidated_each_time(
    client: FlaskClient, shop: Shop
):
    response = client.get(proxied("sw.js"))

    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["ETag"]
    assert response.data == (STATIC / "storeflow-sw.js").read_bytes()


def test_a_revalidation_of_an_unchanged_script_costs_a_304(client: FlaskClient, shop: Shop):
    etag = client.get(proxied("sw.js")).headers["ETag"]

    response = client.get(proxied("sw.js"), headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.data == b""


@pytest.mark.parametrize("path", ["sw.js", "storeflow.js", "forms.js", ""])
def test_an_unsigned_proxy_request_is_refused_with_nothing_served(client: FlaskClient, shop: Shop, path: str):
    response = client.get(f"{PROXY_ROOT}/{path}?shop={SHOP_DOMAIN}&path_prefix=/apps/storeflow")

    assert response.status_code == 401
    assert b"storefrontKey" not in response.data and shop.storefront_key.encode() not in response.data
    assert response.mimetype == "text/plain"


def test_a_proxy_request_signed_with_another_secret_is_refused(client: FlaskClient, shop: Shop):
    response = client.get(proxied("storeflow.js", secret="not-the-app-secret"))

    assert response.status_code == 401
    assert shop.storefront_key.encode() not in response.data


def test_a_proxy_request_whose_shop_was_changed_after_signing_is_refused(client: FlaskClient, shop: Shop):
    url = proxied("storeflow.js").replace(SHOP_DOMAIN, "other-shop.myshopify.com")

    assert client.get(url).status_code == 401


def test_a_replayed_proxy_request_is_refused(client: FlaskClient, shop: Shop):
    response = client.get(proxied("sw.js", timestamp=str(int(time.time()) - 3600)))

    assert response.status_code == 401


def test_the_proxied_snippet_brings_the_signing_shops_key_app_url_and_proxy_path(
    client: FlaskClient, shop: Shop
):
    response = client.get(proxied("storeflow.js"))

    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    prelude, rest = response.get_data(as_text=True).split("\n", 1)
    assert prelude.startswith("window.storeflowSettings = ")
    settings = json.loads(prelude.removeprefix("window.storeflowSettings = ").rstrip(";"))
    assert {k: v for k, v in settings.items() if k != "forms"} == {
        "key": shop.storefront_key,
        "app": "https://storeflow.test",
        "proxy": "/apps/storeflow",
    }
    assert rest.encode() == (STATIC / "storeflow.js").read_bytes()


@pytest.mark.parametrize("forms", [True, False])
def test_the_proxied_snippet_says_whether_there_are_signup_forms_to_load(
    client: FlaskClient, shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forms: bool
):
    (tmp_path / "storeflow.js").write_bytes((STATIC / "storeflow.js").read_bytes())
    if forms:
        (tmp_path / "storeflow-forms.js").write_text("/* forms */\n")
    monkeypatch.setattr(scripts, "STATIC", tmp_path)

    prelude = client.get(proxied("storeflow.js")).get_data(as_text=True).split("\n", 1)[0]

    assert json.loads(prelude.removeprefix("window.storeflowSettings = ").rstrip(";"))["forms"] is forms


def test_the_proxied_snippet_follows_a_path_the_merchant_renamed(client: FlaskClient, shop: Shop):
    response = client.get(proxied("storeflow.js", path_prefix="/a/updates"))

    assert '"proxy": "/a/updates"' in response.get_data(as_text=True).split("\n", 1)[0]


def test_an_odd_signed_path_prefix_falls_back_to_the_tomls(client: FlaskClient, shop: Shop):
    response = client.get(proxied("storeflow.js", path_prefix="javascript:alert(1)"))

    assert '"proxy": "/apps/storeflow"' in response.get_data(as_text=True).split("\n", 1)[0]


def test_the_proxied_snippet_of_a_shop_that_uninstalled_is_404(client: FlaskClient, factory: Factory):
    factory.shop(installed=False)

    assert client.get(proxied("storeflow.js")).status_code == 404


def test_the_forms_script_is_served_once_it_exists(
    client: FlaskClient, shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "storeflow-forms.js").write_text("/* forms */\n")
    monkeypatch.setattr(scripts, "STATIC", tmp_path)

    response = client.get(proxied("forms.js"))

    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.data == b"/* forms */\n"


def test_the_forms_script_is_a_clean_404_before_it_exists(
    client: FlaskClient, shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(scripts, "STATIC", tmp_path)

    response = client.get(proxied("forms.js"))

    assert response.status_code == 404
    assert response.mimetype == "text/plain"


def test_the_proxy_root_answers_for_the_shop_that_signed(client: FlaskClient, shop: Shop):
    response = client.get(proxied(""))

    assert response.status_code == 200
    assert response.json == {"status": "ok", "shop": SHOP_DOMAIN}


@pytest.mark.parametrize("name", ["storeflow.js", "storeflow-sw.js"])
def test_a_headless_storefront_reads_the_scripts_with_cors_for_its_own_origin(
    client: FlaskClient, shop: Shop, name: str
):
    response = client.get(f"/storefront/{name}?k={shop.storefront_key}", headers={"Origin": STOREFRONT})

    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == STOREFRONT
    assert "Origin" in response.headers["Vary"]
    assert response.headers["ETag"]
    assert response.data == (STATIC / name).read_bytes()


@pytest.mark.parametrize("name", ["storeflow.js", "storeflow-sw.js"])
def test_another_sites_origin_gets_no_cors_header(client: FlaskClient, shop: Shop, name: str):
    response = client.get(
        f"/storefront/{name}?k={shop.storefront_key}", headers={"Origin": "https://evil.test"}
    )

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_snippet_may_be_cached_a_few_minutes_and_the_worker_is_revalidated(
    client: FlaskClient, shop: Shop
):
    snippet = client.get(f"/storefront/storeflow.js?k={shop.storefront_key}")
    worker = client.get(f"/storefront/storeflow-sw.js?k={shop.storefront_key}")

    assert snippet.headers["Cache-Control"] == "public, max-age=300"
    assert worker.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("query", ["", "?k=", "?k=no-such-key"])
def test_the_headless_scripts_need_a_known_storefront_key(client: FlaskClient, shop: Shop, query: str):
    assert client.get(f"/storefront/storeflow.js{query}").status_code == 404
