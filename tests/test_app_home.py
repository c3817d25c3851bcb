"""The app's home and every URL the platforms are told about: shopify.app.toml and the Saleor manifest
name only URLs that answer, and the toml agrees with the code (scopes, topics, routes).

https://shopify.dev/docs/apps/build/cli-for-apps/app-configuration
https://docs.saleor.io/developer/extending/apps/architecture/manifest
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.core.config import SETTINGS
from app.platforms.saleor.manifest import manifest
from app.platforms.shopify.discounts import CREATE, FIND
from app.platforms.shopify.history import POLL as HISTORY_POLL
from app.platforms.shopify.history import RUN as HISTORY_RUN
from app.platforms.shopify.history_records import bulk_query
from app.platforms.shopify.live_store import ORDER_FOR, VARIANT
from app.platforms.shopify.recent_activity import CHECKOUTS, ORDERS
from app.platforms.shopify.shop_details import SHOP_DETAILS, SHOP_LOCALES
from app.platforms.shopify.web_pixel import CREATE as PIXEL_CREATE
from app.platforms.shopify.web_pixel import FIND as PIXEL_FIND
from app.platforms.shopify.web_pixel import GRANTED_SCOPES, PIXEL_SCOPES
from app.platforms.shopify.web_pixel import UPDATE as PIXEL_UPDATE
from app.platforms.shopify.webhook_registration import EXISTING_SUBSCRIPTIONS, create_mutation
from app.shops.history import HistoryResource
from tests.support import saleor
from tests.support.shopify import SHOP_DOMAIN
from webhooks.shopify.topics import API_REGISTERED_TOPICS, TOPIC_KINDS

ROOT = Path(__file__).resolve().parents[1]
APP_TOML = ROOT / "shopify.app.toml"
TOML_HOST = "https://storeflow.example.com"


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": saleor.ALLOWLIST}


def app_toml() -> dict:
    return tomllib.loads(APP_TOML.read_text())


def test_a_bare_visit_to_the_home_page_says_what_the_app_is(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Storeflow" in response.text
    assert "/saleor/manifest" in response.text


def test_an_embedded_launch_goes_to_the_admin_with_its_parameters(client):
    query = f"embedded=1&hmac=abc&host=YWRtaW4&id_token=tok&locale=en&shop={SHOP_DOMAIN}&timestamp=1"

    response = client.get(f"/?{query}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin?{query}"


def test_a_launch_naming_only_the_shop_goes_to_the_admin_too(client):
    response = client.get(f"/?shop={SHOP_DOMAIN}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin?shop={SHOP_DOMAIN}"


def test_the_support_page_answers(client):
    response = client.get("/support")

    assert response.status_code == 200
    assert "SECURITY.md" in response.text


def toml_urls() -> list[tuple[str, str, str]]:
    """(where in the toml, method the platform uses, path) for every URL shopify.app.toml names."""
    config = app_toml()
    urls = [("application_url", "GET", config["application_url"])]
    urls += [("auth.redirect_urls", "GET", url) for url in config["auth"]["redirect_urls"]]
    urls += [("webhooks.subscriptions.uri", "POST", s["uri"]) for s in config["webhooks"]["subscriptions"]]
    urls += [("app_proxy.url", "GET", config["app_proxy"]["url"])]
    return urls


def manifest_urls(app) -> list[tuple[str, str, str]]:
    """(field, method Saleor uses, URL) for every URL the Saleor manifest names."""
    document = manifest(app.extensions["storeflow"].config)
    posted = {"tokenTargetUrl"}
    urls = [
        (name, "POST" if name in posted else "GET", value)
        for name, value in document.items()
        if isinstance(value, str) and value.startswith("http")
    ]
    urls += [("webhooks.targetUrl", "POST", hook["targetUrl"]) for hook in document["webhooks"]]
    return urls


def _path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def test_every_url_in_the_app_toml_answers(client):
    for where, method, url in toml_urls():
        response = client.open(_path(url), method=method)

        assert response.status_code != 404, f"{where} {url} answers 404"


def test_every_url_in_the_saleor_manifest_answers(app, client):
    urls = manifest_urls(app)

    assert {name for name, _, _ in urls} >= {
        "appUrl",
        "tokenTargetUrl",
        "dataPrivacyUrl",
        "homepageUrl",
        "supportUrl",
    }
    for name, method, url in urls:
        response = client.open(_path(url), method=method)

        assert response.status_code != 404, f"{name} {url} answers 404"


def test_the_app_toml_has_the_documented_shape():
    config = app_toml()

    # Required top-level properties and their types (shopify.dev, "App configuration", Global).
    assert isinstance(config["name"], str) and config["name"]
    assert isinstance(config["client_id"], str) and config["client_id"]
    assert isinstance(config["embedded"], bool)
    assert urlsplit(config["application_url"]).scheme == "https"
    assert set(config) <= {
        "name",
        "client_id",
        "application_url",
        "embedded",
        "handle",
        "access_scopes",
        "auth",
        "webhooks",
        "build",
        "app_proxy",
    }
    # [app_proxy]: url, subpath and one of the prefixes Shopify offers (shopify.dev, "App proxies").
    assert set(config["app_proxy"]) == {"url", "subpath", "prefix"}
    assert config["app_proxy"]["prefix"] in {"apps", "a", "community", "tools"}
    assert re.fullmatch(r"[a-z0-9-]+", config["app_proxy"]["subpath"])
    assert isinstance(config["access_scopes"]["scopes"], str)
    assert all(urlsplit(url).scheme == "https" for url in config["auth"]["redirect_urls"])
    assert re.fullmatch(r"\d{4}-\d{2}", config["webhooks"]["api_version"])
    for subscription in config["webhooks"]["subscriptions"]:
        assert set(subscription) <= {"topics", "compliance_topics", "uri", "filter", "include_fields"}
        assert subscription["uri"].startswith("/") or subscription["uri"].startswith("https://")


def test_the_app_toml_urls_all_point_at_one_app_url():
    hosts = {f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" for _, _, url in toml_urls() if "://" in url}

    assert hosts == {TOML_HOST}


def test_the_app_toml_redirect_url_is_the_oauth_callback_route(app):
    routes = {rule.rule for rule in app.url_map.iter_rules()}

    assert {urlsplit(url).path for url in app_toml()["auth"]["redirect_urls"]} <= routes


def test_the_app_toml_grants_the_default_scopes_and_declares_the_registry_topics():
    config = app_toml()
    default_scopes = next(s.default for s in SETTINGS if s.env == "SHOPIFY_SCOPES")

    assert config["access_scopes"]["scopes"] == default_scopes
    declared = [
        t
        for s in config["webhooks"]["subscriptions"]
        for t in s.get("topics", []) + s.get("compliance_topics", [])
    ]
    assert sorted(declared) == sorted(TOPIC_KINDS)


# What each Admin API field or webhook topic Storeflow uses needs, from its shopify.dev reference page.
FIELD_SCOPES = {
    "abandonedCheckouts": "read_orders",
    "orders": "read_orders",
    "customer": "read_customers",
    "productVariant": "read_products",
    "codeDiscountNodeByCode": "read_discounts",
    "discountCodeBasicCreate": "write_discounts",
    "shop": None,
    "shopLocales": "read_locales",
    "webhookSubscriptions": None,
    "webhookSubscriptionCreate": None,
    "currentAppInstallation": None,
    "webPixel": "read_pixels",
    "webPixelCreate": "write_pixels",
    "webPixelUpdate": "write_pixels",
    "customers": "read_customers",
    "products": "read_products",
    "bulkOperationRunQuery": None,  # the bulk query it runs needs the scopes of its own fields
    "node": None,
}
TOPIC_SCOPES = {
    "checkouts": "read_orders",
    "carts": "read_orders",
    "orders": "read_orders",
    "products": "read_products",
    "inventory_levels": "read_inventory",
    "customers": "read_customers",
    "customers_email_marketing_consent": "read_customers",
    "customers_marketing_consent": "read_customers",
    "app": None,
    "bulk_operations": None,
}
DOCUMENTS = (SHOP_DETAILS, EXISTING_SUBSCRIPTIONS, create_mutation(list(API_REGISTERED_TOPICS)), CREATE, FIND)
DOCUMENTS += (CHECKOUTS, ORDERS, ORDER_FOR, VARIANT, GRANTED_SCOPES, PIXEL_CREATE, PIXEL_UPDATE, PIXEL_FIND)
DOCUMENTS += (HISTORY_RUN, HISTORY_POLL, SHOP_LOCALES)
DOCUMENTS += tuple(bulk_query(resource, None, "2026-07") for resource in HistoryResource)


def scopes_beyond_the_admin_api() -> dict[str, bool]:
    """Scopes no Admin API document of ours names, each with the fact in the code that needs it."""
    pixel_source = (ROOT / "extensions" / "storeflow-pixel" / "src" / "index.js").read_text()
    return {
        # The web pixel subscribes to shoppers' events, and the install checks it was granted.
        "read_customer_events": "analytics.subscribe(" in pixel_source
        and "read_customer_events" in PIXEL_SCOPES,
        # Orders older than 60 days need it: the history sync reads every order.
        "read_all_orders": HistoryResource.ORDERS in HistoryResource,
        # The toml's [app_proxy] serves the storefront snippet and service worker from the shop's domain.
        "write_app_proxy": "app_proxy" in app_toml(),
    }


def root_fields(document: str) -> set[str]:
    """The fields right inside a query's or mutation's outermost braces (aliases dropped)."""
    body = document[document.index("{") + 1 :]
    fields, depth = set(), 0
    for token in re.findall(r"[A-Za-z_][A-Za-z0-9_]*\s*:?|[{}()]|\"[^\"]*\"", body):
        if token in ("{", "("):
            depth += 1
        elif token in ("}", ")"):
            depth -= 1
        elif depth == 0 and not token.rstrip().endswith(":"):
            fields.add(token.strip())
    return fields


def needed_scopes() -> set[str]:
    fields = set().union(*(root_fields(d) for d in DOCUMENTS))
    unknown = fields - set(FIELD_SCOPES)
    assert not unknown, f"say which scope these Admin API fields need: {unknown}"
    nested = {"customer"} if any(re.search(r"\bcustomer\s*\{", d) for d in DOCUMENTS) else set()
    scopes = {FIELD_SCOPES[f] for f in fields | nested} | {
        TOPIC_SCOPES[t.split("/")[0]] for t in API_REGISTERED_TOPICS
    }
    scopes |= {scope for scope, needed in scopes_beyond_the_admin_api().items() if needed}
    return {s for s in scopes if s}


def test_the_app_toml_grants_exactly_the_scopes_the_code_needs():
    needed = needed_scopes()
    granted = set(app_toml()["access_scopes"]["scopes"].split(","))
    # A write scope includes its read scope (shopify.dev, "Access scopes").
    covered = granted | {scope.replace("write_", "read_") for scope in granted}

    assert needed <= covered
    assert {
        scope for scope in granted if scope not in needed and scope.replace("write_", "read_") not in needed
    } == set()
