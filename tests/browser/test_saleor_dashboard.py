"""Inside the Saleor dashboard, in a real browser: the dashboard frames Storeflow and hands it a
token; every page, link and form of the admin then travels with that token, never a cookie."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import responses
from playwright.sync_api import FrameLocator, Page, expect

from app.db.models import FlowSetting
from app.platforms.saleor.manifest import fingerprint
from tests.browser.conftest import screenshot
from tests.support.db import rows
from tests.support.saleor import ALLOWLIST, API_URL, APP_ID, serve_jwks, signing_key

pytestmark = pytest.mark.browser

# A stand-in for the dashboard: it frames the app and answers its notifyReady with a handshake.
DASHBOARD = """<!doctype html><title>Saleor dashboard</title>
<iframe id="app" src="{src}" style="width:1200px;height:1400px;border:0"></iframe>
<script>
  window.addEventListener("message", (event) => {{
    if ((event.data || {{}}).type === "notifyReady") {{
      document.getElementById("app").contentWindow.postMessage(
        {{ type: "handshake", payload: {{ token: {token}, version: 1 }} }}, "*");
    }}
  }});
</script>"""


class StandInDashboard:
    """A self-hosted dashboard on its own loopback port, listed in SALEOR_DASHBOARD_ORIGINS: the app
    page may be framed only from such an origin or an allowlisted instance's (its frame-ancestors)."""

    def __init__(self) -> None:
        self.html = b""
        dashboard = self

        class DashboardPage(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(dashboard.html)

            def log_message(self, format: str, *args: object) -> None:  # quiet: the test reports
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), DashboardPage)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def stand_in_dashboard() -> Iterator[StandInDashboard]:
    dashboard = StandInDashboard()
    yield dashboard
    dashboard.server.shutdown()
    dashboard.server.server_close()


@pytest.fixture
def config_changes(stand_in_dashboard):
    return {"saleor_allowed_api_urls": ALLOWLIST, "saleor_dashboard_origins": (stand_in_dashboard.origin,)}


@pytest.fixture
def saleor() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_jwks(mock, signing_key("k1"))
        yield mock


@pytest.fixture
def shop(app, factory):
    return factory.shop(
        domain=API_URL,
        platform="saleor",
        name="Demo Saleor Store",
        access_token_enc=app.extensions["storeflow"].cipher.encrypt("app-token"),
        settings={
            "saleor": {
                "app_id": APP_ID,
                "webhooks_fingerprint": fingerprint(app.extensions["storeflow"].config),
            }
        },
    )


def open_in_dashboard(
    page: Page, live_server: str, dashboard: StandInDashboard, query: str = ""
) -> FrameLocator:
    token = json.dumps(signing_key("k1").dashboard_token())
    dashboard.html = DASHBOARD.format(
        src=f"{live_server}/saleor/app?saleorApiUrl={API_URL}{query}", token=token
    ).encode()
    page.goto(f"{dashboard.origin}/dashboard/")
    return page.frame_locator("#app")


def test_the_dashboard_token_carries_every_page_link_and_form(
    app, saleor, shop, live_server, page, stand_in_dashboard
):
    # given the dashboard has framed Storeflow and handed it a token
    admin = open_in_dashboard(page, live_server, stand_in_dashboard)
    expect(admin.get_by_role("heading", name="Overview")).to_be_visible()
    expect(admin.locator("#saleor-template-missing")).to_be_visible()

    # when the merchant follows a link and flips a switch
    admin.get_by_role("navigation", name="Storeflow").get_by_role("link", name="Flows").click()
    admin.get_by_role("switch", name="Thank-you after purchase").click()
    admin.get_by_role("dialog").get_by_role("button", name="Switch on").click()

    # then both went through with the dashboard's token, and the switch is stored for this shop
    expect(admin.locator(".banner[role=status]")).to_contain_text("Thank-you after purchase is switched on.")
    (setting,) = rows(app, FlowSetting)
    assert (setting.shop_id, setting.flow_key, setting.enabled) == (shop.id, "thank_you", True)

    # and the live preview of the template editor works with the token too
    admin.get_by_role("heading", name="Thank-you after purchase").get_by_role("link").click()
    admin.get_by_label("Subject").fill("Thanks, {{ contact.first_name }}!")
    expect(admin.locator("#preview-subject")).to_have_text("Thanks, Jane!")

    # and leaving the unsaved subject asks first; the Saleor settings save the checkout URL
    admin.get_by_role("navigation", name="Storeflow").get_by_role("link", name="Settings").click()
    admin.get_by_role("dialog", name="Leave without saving?").get_by_role(
        "button", name="Discard changes"
    ).click()
    admin.get_by_label("Checkout URL").fill("https://shop.example/checkout?checkout={checkout_id}")
    admin.get_by_role("button", name="Save checkout URL").click()
    expect(admin.locator(".banner[role=status]")).to_contain_text("Checkout URL saved")
    expect(admin.locator("#saleor-template-missing")).to_have_count(0)
    screenshot(page, "saleor-dashboard-settings")


def test_inside_the_dashboard_pages_keep_their_address_and_back_goes_back(
    app, saleor, shop, live_server, page, stand_in_dashboard
):
    # given the merchant went from the overview to the flows
    admin = open_in_dashboard(page, live_server, stand_in_dashboard)
    expect(admin.get_by_role("heading", name="Overview")).to_be_visible()
    admin.get_by_role("navigation", name="Storeflow").get_by_role("link", name="Flows").click()
    expect(admin.get_by_role("heading", name="Flows", exact=True)).to_be_visible()

    # then the frame's address names the page, reloadable through the entry page with a fresh token
    frame = page.frames[1]
    assert "/saleor/app?" in frame.url and "next=%2Fadmin%2Fflows" in frame.url

    # and back goes back to the overview
    frame.evaluate("history.back()")
    expect(admin.get_by_role("heading", name="Overview")).to_be_visible()

    # and a reload of a page the admin pushed opens that page again
    admin.get_by_role("navigation", name="Storeflow").get_by_role("link", name="Settings").click()
    expect(admin.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    frame.evaluate("location.reload()")
    expect(admin.get_by_role("heading", name="Settings", exact=True)).to_be_visible()


def test_the_dashboards_locale_opens_the_admin_in_its_language_and_keeps_it_on_every_link(
    app, saleor, shop, live_server, page, stand_in_dashboard
):
    # given the dashboard frames Storeflow with its language in the query, as it does (``locale``)
    admin = open_in_dashboard(page, live_server, stand_in_dashboard, query="&locale=de")

    # then the admin speaks German, and still does after following a link with the token
    expect(admin.get_by_role("heading", name="Übersicht")).to_be_visible()
    admin.get_by_role("navigation", name="Storeflow").get_by_role("link", name="Einstellungen").click()
    expect(admin.get_by_role("heading", name="Einstellungen", exact=True)).to_be_visible()
