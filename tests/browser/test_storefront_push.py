"""The storefront snippet in a real browser: push permission is asked only after a shopper's click,
and posts report the browser's time zone."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser, Page, Route

# Counts permission prompts and answers "denied", as a shopper who says no would.
COUNT_PROMPTS = """
window.__prompts = 0;
Notification.requestPermission = function () { window.__prompts += 1; return Promise.resolve("denied"); };
"""


@pytest.fixture
def storefront(browser: Browser, live_server: str, factory) -> Page:
    """A storefront page that loads the snippet, on the live app's origin (127.0.0.1 is a secure
    context, as a real storefront's https origin is, so the browser offers push there)."""
    shop = factory.shop(storefront_url=live_server)
    html = f"""<!doctype html><html><body>
      <button type="button" data-storeflow-push>Get updates</button>
      <script src="{live_server}/static/storeflow.js" data-key="{shop.storefront_key}" async></script>
    </body></html>"""
    context = browser.new_context(timezone_id="Europe/Paris")
    context.set_default_timeout(10_000)
    context.add_init_script(COUNT_PROMPTS)
    page = context.new_page()

    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=html)

    page.route(f"{live_server}/products/shirt", serve)
    page.goto(f"{live_server}/products/shirt")
    page.wait_for_function("typeof (window.storeflow && window.storeflow.enablePush) === 'function'")
    return page


def test_the_snippet_never_asks_for_push_on_page_load(storefront: Page):
    storefront.wait_for_timeout(1500)

    assert storefront.evaluate("window.__prompts") == 0


def test_a_click_on_the_push_button_asks_once(storefront: Page):
    storefront.click("[data-storeflow-push]")

    storefront.wait_for_selector("[data-storeflow-push=refused]")
    assert storefront.evaluate("window.__prompts") == 1


def test_events_report_the_browsers_time_zone(storefront: Page, live_server: str):
    with storefront.expect_request(lambda request: "/storefront/events" in request.url) as posted:
        storefront.evaluate("storeflow.track('product_viewed', {product_id: '1'})")

    assert json.loads(posted.value.post_data or "{}")["timezone"] == "Europe/Paris"
