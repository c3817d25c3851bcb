"""The flow page's journey in Chromium, on a desktop and a phone: it fits the screen, every node's
figures are on screen as text, a branch's paths sit side by side where they fit and stack where
they do not, and axe-core finds nothing serious."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from app.db import db
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_admin_layout import DESKTOP, PHONE, serious_violations
from tests.support.messages import sent_message

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(factory, clock):
    shop = factory.shop(name="Alpha Goods")
    jane = factory.contact(shop, email="jane@example.com")
    factory.enrollment(shop, jane, "abandoned_checkout", step_index=3)
    sent_message(db.session, shop, jane, clock.now(), step_index=1)
    return shop


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not drawn"
    return found


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_the_journey_fits_the_screen_with_every_nodes_figures_visible(shop, live_server, page, viewport):
    page.set_viewport_size(viewport)
    sign_in(page, live_server, shop)

    page.goto(f"{live_server}/admin/flows/abandoned_checkout")

    journey = page.get_by_role("list", name="Journey of this flow, from what starts it to its end")
    expect(journey).to_be_visible()
    expect(journey.locator("[data-node=trigger]")).to_contain_text("Entered2")
    first = journey.locator("[data-node=step-1]")
    expect(first).to_contain_text("Email")
    for label, value in (("Sent", "1"), ("Delivered", "0"), ("Converted", "0"), ("Revenue", "$0.00")):
        expect(first.get_by_text(label, exact=True)).to_be_visible()
        expect(first.locator("dd", has_text=value).first).to_be_visible()
    expect(journey.locator("[data-node=step-3]")).to_contain_text("Waiting1")
    exit_on_order = page.locator("[data-node=exit-1]")
    expect(exit_on_order).to_contain_text("An order is placed from this checkout or cart")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= viewport["width"]
    assert serious_violations(page) == []
    screenshot(page, f"flow-journey-{viewport['width']}")


def test_a_branch_puts_its_paths_side_by_side_on_a_desktop(shop, live_server, page):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, shop)

    page.goto(f"{live_server}/admin/flows/thank_you")

    yes, no = (box(page, f"[data-node=branch-1] [data-path={path}]") for path in ("yes", "no"))
    assert yes["y"] == no["y"] and no["x"] > yes["x"] + yes["width"] - 1


def test_a_branch_stacks_its_paths_on_a_phone(shop, live_server, page):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, shop)

    page.goto(f"{live_server}/admin/flows/thank_you")

    yes, no = (box(page, f"[data-node=branch-1] [data-path={path}]") for path in ("yes", "no"))
    assert no["y"] >= yes["y"] + yes["height"]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert serious_violations(page) == []
    screenshot(page, "flow-journey-branch-390")
