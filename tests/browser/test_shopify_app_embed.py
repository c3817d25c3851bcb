"""A Shopify-hosted store with the Storeflow app embed on, in a real browser: the snippet arrives through
the signed app proxy on the shop's own origin, and a click registers the service worker from the
proxy's path and subscribes the browser to push.

The store is a local server in front of Storeflow that forwards ``/apps/storeflow/…`` as Shopify's app
proxy does, signed (tests/support/shopify_storefront.py). Its page is what the app embed block
renders with its default settings. The browser's push service is the one thing stubbed: Chromium has
none to reach here, so ``pushManager.subscribe`` answers with a browser's keys from
tests/support/fake_push.py on an FCM address; the service worker registration is Chromium's own.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import select
from werkzeug.serving import make_server

from app.db import db
from app.db.models import PushSubscription, Shop, StockAlert
from app.web.storefront import scripts
from tests.support.fake_push import FakePushService
from tests.support.liquid import render
from tests.support.shopify_storefront import ShopifyStorefront
from tests.test_web_push import PRIVATE_KEY, PUBLIC_KEY

ROOT = Path(__file__).resolve().parents[2]
EMBED = ROOT / "extensions" / "storeflow-theme"
PRODUCT_PAGE = "/products/shirt"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def app_port() -> int:
    """The port the live app will listen on, chosen first: APP_URL must name it before the app exists."""
    return free_port()


@pytest.fixture
def config_changes(app_port: int) -> dict[str, object]:
    # The snippet reaches Storeflow's push endpoints at APP_URL, so it is the live server's address.
    return {
        "app_url": f"http://127.0.0.1:{app_port}",
        "vapid_private_key": PRIVATE_KEY,
        "vapid_public_key": PUBLIC_KEY,
    }


@pytest.fixture
def live_app(app: Flask, app_port: int) -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", app_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{app_port}"
    server.shutdown()
    thread.join(timeout=5)


def embed_page(forms: str = "on") -> str:
    """A shop page with what the app embed block renders with its default settings (forms switched
    ``on`` or ``off``), at the end of the body where Shopify puts ``target: body`` embeds."""
    block = (EMBED / "blocks" / "storeflow-embed.liquid").read_text()
    schema = json.loads(re.search(r"{% schema %}(.*){% endschema %}", block, re.S).group(1))  # type: ignore[union-attr]
    settings = {s["id"]: s.get("default") for s in schema["settings"]} | {"signup_forms": forms == "on"}
    translations = json.loads((EMBED / "locales" / "en.default.json").read_text())
    embed = render(block, {"block": {"id": "embed", "settings": settings}}, translations)
    return f"<!doctype html><html><head><title>Shirt</title></head><body><h1>Shirt</h1>{embed}</body></html>"


@pytest.fixture
def storefront(live_app: str) -> Iterator[ShopifyStorefront]:
    with ShopifyStorefront(live_app) as shop:
        shop.pages[PRODUCT_PAGE] = embed_page()
        yield shop


@pytest.fixture
def shop(factory, storefront: ShopifyStorefront) -> Shop:
    return factory.shop(storefront_url=storefront.url)


def shopper_allowing_push(subscription: dict) -> str:
    """A shopper who says yes, and a push service that hands out ``subscription``."""
    return f"""
    window.__prompts = 0;
    Notification.requestPermission = function () {{
      window.__prompts += 1;
      return Promise.resolve("granted");
    }};
    var made = {json.dumps(subscription)};
    PushManager.prototype.getSubscription = function () {{ return Promise.resolve(null); }};
    PushManager.prototype.subscribe = function (options) {{
      window.__subscribedWith = options.applicationServerKey.length;
      return Promise.resolve({{endpoint: made.endpoint, toJSON: function () {{ return made; }}}});
    }};
    """


@pytest.fixture
def subscription() -> dict:
    with FakePushService(PUBLIC_KEY) as push:
        made = push.subscribe()
    token = made["endpoint"].rsplit("/", 1)[1]
    return {**made, "endpoint": f"https://fcm.googleapis.com/fcm/send/{token}"}


@pytest.fixture
def page(browser: Browser, storefront: ShopifyStorefront, shop: Shop, subscription: dict) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    context.add_init_script(shopper_allowing_push(subscription))
    tab = context.new_page()
    tab.goto(f"{storefront.url}{PRODUCT_PAGE}")
    tab.wait_for_function("typeof (window.storeflow && window.storeflow.enablePush) === 'function'")
    yield tab
    context.close()


def test_the_snippet_arrives_through_the_signed_proxy_with_the_shops_settings(
    page: Page, storefront: ShopifyStorefront, shop: Shop, live_app: str
):
    settings = page.evaluate("window.storeflowSettings")

    assert {k: v for k, v in settings.items() if k != "forms"} == {
        "key": shop.storefront_key,
        "app": live_app,
        "proxy": "/apps/storeflow",
    }
    assert ("GET", "/apps/storeflow/storeflow.js", 200) in storefront.forwarded


def test_nothing_asks_for_push_on_page_load(page: Page):
    page.wait_for_timeout(1500)

    assert page.evaluate("window.__prompts") == 0
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0


def test_a_click_registers_the_worker_from_the_proxy_path_and_subscribes(
    app: Flask, page: Page, storefront: ShopifyStorefront, shop: Shop, subscription: dict
):
    page.click("[data-storeflow-push]")

    page.wait_for_selector("[data-storeflow-push=subscribed]")
    registration = page.evaluate(
        """navigator.serviceWorker.getRegistration("/apps/storeflow/sw.js")
             .then(r => ({scope: r.scope, script: r.active && r.active.scriptURL}))"""
    )
    assert registration == {
        "scope": f"{storefront.url}/apps/storeflow/",
        "script": f"{storefront.url}/apps/storeflow/sw.js",
    }
    assert ("GET", "/apps/storeflow/sw.js", 200) in storefront.forwarded
    assert page.evaluate("window.__prompts") == 1
    assert page.evaluate("window.__subscribedWith") == 65  # the deployment's P-256 VAPID public key
    with app.app_context():
        stored = db.session.scalars(select(PushSubscription).filter_by(shop_id=shop.id)).all()
        assert [(s.endpoint, s.p256dh) for s in stored] == [
            (subscription["endpoint"], subscription["keys"]["p256dh"])
        ]
        db.session.remove()


def test_events_go_to_storeflow_through_the_proxy(page: Page, storefront: ShopifyStorefront):
    with page.expect_response(lambda response: "/apps/storeflow/events" in response.url) as answered:
        page.evaluate("storeflow.track('product_viewed', {product_id: '632910392'})")

    assert answered.value.status == 202
    assert ("POST", "/apps/storeflow/events", 202) in storefront.forwarded


def test_a_browser_without_push_gets_the_button_marked_unsupported(
    browser: Browser, storefront: ShopifyStorefront, shop: Shop
):
    context = browser.new_context()
    context.set_default_timeout(10_000)
    context.add_init_script("delete window.PushManager;")
    tab = context.new_page()
    tab.goto(f"{storefront.url}{PRODUCT_PAGE}")

    tab.wait_for_selector("[data-storeflow-push=unsupported]", state="attached")
    context.close()


@pytest.fixture
def forms_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Storeflow with a signup forms script, which tells the page which key and API it was handed."""
    for name in ("storeflow.js", "storeflow-sw.js"):
        (tmp_path / name).write_bytes((ROOT / "app" / "static" / name).read_bytes())
    (tmp_path / "storeflow-forms.js").write_text(
        "var tag = document.currentScript; window.__formsFor = [tag.dataset.key, tag.dataset.api];\n"
    )
    monkeypatch.setattr(scripts, "STATIC", tmp_path)


def forms_requests(storefront: ShopifyStorefront) -> list[tuple[str, str, int]]:
    return [f for f in storefront.forwarded if f[1] == "/apps/storeflow/forms.js"]


@pytest.mark.usefixtures("forms_script")
def test_the_snippet_loads_the_signup_forms_from_the_proxy_when_there_are_some(
    page: Page, storefront: ShopifyStorefront, shop: Shop
):
    page.wait_for_function("window.__formsFor !== undefined")

    # The forms call Storeflow itself with the shop's key: through the proxy, every shopper would
    # share the proxy's address and so one rate limit.
    assert page.evaluate("window.__formsFor") == [
        shop.storefront_key,
        page.evaluate("window.storeflowSettings.app"),
    ]
    assert forms_requests(storefront) == [("GET", "/apps/storeflow/forms.js", 200)]


@pytest.mark.usefixtures("forms_script")
def test_the_embeds_forms_switch_off_keeps_them_off(
    browser: Browser, storefront: ShopifyStorefront, shop: Shop
):
    storefront.pages["/products/quiet"] = embed_page(forms="off")
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(f"{storefront.url}/products/quiet")
    tab.wait_for_function("typeof (window.storeflow && window.storeflow.track) === 'function'")
    tab.wait_for_timeout(500)

    assert tab.evaluate("window.__formsFor") is None
    assert forms_requests(storefront) == []
    context.close()


@pytest.fixture
def no_forms_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Storeflow before its signup forms ship: no forms script beside the snippet."""
    for name in ("storeflow.js", "storeflow-sw.js"):
        (tmp_path / name).write_bytes((ROOT / "app" / "static" / name).read_bytes())
    monkeypatch.setattr(scripts, "STATIC", tmp_path)


@pytest.mark.usefixtures("no_forms_script")
def test_without_a_forms_script_the_snippet_asks_for_none(page: Page, storefront: ShopifyStorefront):
    page.wait_for_timeout(500)

    assert page.evaluate("window.storeflowSettings.forms") is False
    assert forms_requests(storefront) == []


def notify_page() -> str:
    """A sold-out product's page with the Notify me block and the app embed, as the theme renders them."""
    block = (EMBED / "blocks" / "notify-me.liquid").read_text()
    schema = json.loads(re.search(r"{% schema %}(.*){% endschema %}", block, re.S).group(1))  # type: ignore[union-attr]
    settings = {s["id"]: s.get("default") for s in schema["settings"]}
    translations = json.loads((EMBED / "locales" / "en.default.json").read_text())
    product = {"id": 632910392, "selected_or_first_available_variant": {"id": 808950810, "available": False}}
    notify = render(
        block, {"block": {"id": "notify", "settings": settings}, "product": product}, translations
    )
    page = embed_page()
    script = f'<script src="/cdn/{schema["javascript"]}" defer></script>'
    return page.replace("<h1>Shirt</h1>", f"<h1>Shirt</h1>{notify}{script}")


def test_the_notify_me_block_signs_a_shopper_up_for_the_sold_out_variant(
    app: Flask, browser: Browser, storefront: ShopifyStorefront, shop: Shop
):
    storefront.pages["/products/sold-out"] = notify_page()
    storefront.assets["/cdn/notify-me.js"] = (EMBED / "assets" / "notify-me.js").read_text()
    context = browser.new_context()
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.goto(f"{storefront.url}/products/sold-out?variant=808950811")
    tab.wait_for_function("typeof (window.storeflow && window.storeflow.notify) === 'function'")

    tab.get_by_label("Email").fill("ann@example.com")
    tab.get_by_role("button", name="Notify me").click()

    tab.get_by_role("status").filter(has_text="Thanks!").wait_for()
    with app.app_context():
        alerts = db.session.scalars(select(StockAlert).filter_by(shop_id=shop.id)).all()
        assert [(a.product_id, a.variant_id) for a in alerts] == [("632910392", "808950811")]
        db.session.remove()
    context.close()
