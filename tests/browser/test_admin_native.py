"""The admin as a merchant moves through it: inside Shopify it speaks App Bridge (title bar, save bar,
toasts, modals) and keeps the URL and history as forms are saved; outside, the same pages work
with a <dialog> and the browser's own navigation, and unsaved edits are never lost silently.

Shopify's App Bridge script is the one stand-in: the test serves, at its CDN address, a small
``window.shopify`` that hands out real session tokens (signed with the test app's secret) and
records toasts, and a ``ui-modal`` element that opens in the page.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from app.db.models import FlowSetting
from tests.browser.conftest import sign_in
from tests.support.db import rows
from tests.support.shopify import SHOP_DOMAIN
from tests.support.shopify_api import session_token

pytestmark = pytest.mark.browser

APP_BRIDGE = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
EMBEDDED_QUERY = f"shop={SHOP_DOMAIN}&host=YWRtaW4&embedded=1"

STAND_IN_APP_BRIDGE = """
window.__toasts = window.__toasts || [];
window.shopify = {
  idToken: function () { return Promise.resolve(%s); },
  toast: { show: function (message) { window.__toasts.push(message); } },
};
if (!customElements.get("ui-modal")) {
  customElements.define("ui-modal", class extends HTMLElement {
    show() { this.setAttribute("data-open", ""); }
    hide() { this.removeAttribute("data-open"); this.dispatchEvent(new Event("hide")); }
  });
}
"""


def inside_shopify(page: Page, live_server: str, path: str) -> None:
    """Open an admin page as the Shopify admin frames it: with an id_token, App Bridge loaded."""
    token = session_token()
    page.route(
        APP_BRIDGE,
        lambda route: route.fulfill(
            content_type="text/javascript", body=STAND_IN_APP_BRIDGE % json.dumps(token)
        ),
    )
    page.goto(f"{live_server}{path}?{EMBEDDED_QUERY}&id_token={token}")


def toasts(page: Page) -> list[str]:
    return list(page.evaluate("window.__toasts"))


@pytest.fixture
def embedded_shop(factory):
    return factory.shop(name="Alpha Goods", access_token_enc="enc")


def test_inside_shopify_each_page_has_its_title_bar(embedded_shop, live_server, page):
    inside_shopify(page, live_server, "/admin/flows/abandoned_checkout")

    title_bar = page.locator("ui-title-bar")
    expect(title_bar).to_have_attribute("title", "Abandoned checkout recovery")
    expect(title_bar.locator("button[variant=primary]")).to_have_text("Save")
    expect(page.locator("ui-nav-menu a[rel=home]")).to_have_text("Overview")


def test_inside_shopify_switching_a_flow_on_asks_in_a_modal_then_toasts(
    app, embedded_shop, live_server, page
):
    inside_shopify(page, live_server, "/admin/flows")

    page.get_by_role("switch", name="Abandoned checkout recovery").click()
    modal = page.locator("ui-modal[data-open]")
    expect(modal.locator("ui-title-bar")).to_have_attribute("title", "Switch on Abandoned checkout recovery?")
    expect(modal).to_contain_text("up to 0 shoppers now")
    assert rows(app, FlowSetting) == []
    modal.locator("button", has_text="Switch on").click()

    expect(page.get_by_role("switch", name="Abandoned checkout recovery")).to_have_attribute(
        "aria-checked", "true"
    )
    assert toasts(page) == ["Abandoned checkout recovery is switched on."]
    assert page.url.endswith(f"/admin/flows?{EMBEDDED_QUERY}")


def test_inside_shopify_saving_keeps_the_url_and_back_goes_back(app, embedded_shop, live_server, page):
    inside_shopify(page, live_server, "/admin/flows/abandoned_checkout")
    settings = page.locator("form#flow-settings")
    expect(settings).to_have_attribute("data-save-bar", "")

    # when the merchant saves the flow from the title bar
    page.locator("input[name^=delay_]").first.fill("2")
    page.locator("ui-title-bar button[variant=primary]").click()

    # then the page says so in a toast, at its own address
    page.wait_for_function("window.__toasts && window.__toasts.length === 1")
    assert toasts(page) == ["Abandoned checkout recovery saved."]
    assert page.url.endswith(f"/admin/flows/abandoned_checkout?{EMBEDDED_QUERY}")
    assert rows(app, FlowSetting)[0].overrides["delays"]

    # when they save the first email's template, the address names that message
    page.get_by_role("button", name="Save template").click()
    expect(page).to_have_url(re.compile(r"/admin/flows/abandoned_checkout/steps/\w+\?shop="))

    # and back goes back to the flow's own page
    page.go_back()
    expect(page).to_have_url(f"{live_server}/admin/flows/abandoned_checkout?{EMBEDDED_QUERY}")
    expect(page.locator("input[name^=delay_]").first).to_have_value("2")


def test_outside_shopify_an_unsaved_edit_is_guarded_before_another_form_saves(
    app, factory, live_server, page
):
    shop = factory.shop(name="Alpha Goods")
    sign_in(page, live_server, shop)
    page.goto(f"{live_server}/admin/flows/thank_you")
    page.get_by_label("Subject").fill("Thanks, {{ contact.first_name }}!")

    page.locator("#flow-settings").get_by_role("button", name="Save").click()

    leave = page.get_by_role("dialog", name="Leave without saving?")
    expect(leave).to_contain_text("not saved yet")
    leave.get_by_role("button", name="Cancel").click()
    expect(page.get_by_label("Subject")).to_have_value("Thanks, {{ contact.first_name }}!")
    assert rows(app, FlowSetting) == []


def test_outside_shopify_a_saved_form_leaves_its_page_in_the_url_and_history(app, factory, live_server, page):
    shop = factory.shop(name="Alpha Goods")
    sign_in(page, live_server, shop)
    page.goto(f"{live_server}/admin/flows")
    page.goto(f"{live_server}/admin/flows/abandoned_checkout")

    page.locator("input[name^=delay_]").first.fill("2")
    page.locator("#flow-settings").get_by_role("button", name="Save").click()

    expect(page.locator(".banner[role=status]")).to_contain_text("Abandoned checkout recovery saved.")
    expect(page.locator("#toast-region")).to_have_text("Abandoned checkout recovery saved.")
    assert page.url == f"{live_server}/admin/flows/abandoned_checkout"
    page.go_back()
    page.go_back()
    expect(page).to_have_url(f"{live_server}/admin/flows")


def test_outside_shopify_unsubscribing_asks_in_a_dialog(app, factory, live_server, page):
    shop = factory.shop(name="Alpha Goods")
    shopper = factory.contact(shop, email="ann@example.com", email_consent="subscribed")
    sign_in(page, live_server, shop)
    page.goto(f"{live_server}/admin/contacts/{shopper.id}")

    page.get_by_role("button", name="Unsubscribe").first.click()
    ask = page.get_by_role("dialog", name="Unsubscribe ann@example.com from email?")
    ask.get_by_role("button", name="Unsubscribe").click()

    expect(page.locator(".banner[role=status]")).to_contain_text("Unsubscribed from email.")
