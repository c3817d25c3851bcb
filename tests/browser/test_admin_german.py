"""The admin in German in a real browser: the host admin's ``locale`` carries through, and German's
long words still fit a phone.

Every admin page is visited at 390 px in German, the pages enumerated as the English layout test
does (``test_admin_layout.admin_pages``), on the same demo day of data.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_admin_layout import OVERFLOWING, PHONE, admin_pages, demo_shop, visit

pytestmark = pytest.mark.browser

__all__ = ["demo_shop"]  # the demo day's shop, a fixture shared with the English layout test


def test_overview_and_a_flow_open_in_german_from_the_host_admins_locale(demo_shop, live_server, page):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, demo_shop)

    page.goto(f"{live_server}/admin?locale=de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Übersicht")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    screenshot(page, "overview-de-390")

    page.get_by_role("link", name="Flows verwalten").first.click()
    page.get_by_role("link", name="Rückgewinnung abgebrochener Kassenvorgänge").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rückgewinnung abgebrochener Kassenvorgänge")
    expect(page.get_by_text("Warten vor der ersten E-Mail").first).to_be_visible()
    screenshot(page, "flow-de-390")


def test_no_admin_page_is_wider_than_a_phone_in_german(app, demo_shop, live_server, page):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, demo_shop)
    page.goto(f"{live_server}/admin?locale=de")  # remembered in the session for every page after
    wide: dict[str, Any] = {}
    for url in admin_pages(app, demo_shop):
        if not visit(page, live_server + url):
            continue
        assert page.locator("html").get_attribute("lang") == "de", url
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > PHONE["width"]:
            wide[url] = (width, page.evaluate(OVERFLOWING))
    assert not wide, "\n".join(f"{url}: {width}px, {where}" for url, (width, where) in wide.items())
