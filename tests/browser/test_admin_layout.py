"""Every admin page, phone and desktop: nothing wider than the viewport, nothing axe-core calls serious.

The pages are enumerated from the admin blueprint's GET routes, so a new page is covered as soon as
it is routed: a route whose URL parameters the test cannot fill in fails the test rather than going
unvisited. The data is the demo's day of webhooks, plus a signup form, so lists and details are full.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask, url_for
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.db import db
from app.db.models import Contact, Message, Shop, SignupForm
from app.forms.design import read_design
from app.web.admin.template_editor import find_send
from flows.catalogue import CATALOGUE
from tests.browser.conftest import sign_in
from tests.support.saleor import API_URL
from tests.support.store import replay_demo_day

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Reached before a shop is signed in, or ending the session: not pages of the admin.
NOT_PAGES = {"admin.login", "admin.logout"}
SERIOUS = {"serious", "critical"}


@pytest.fixture
def demo_shop(app: Flask, factory: Any, client: Any, harness: Any) -> Shop:
    shop = factory.shop(name="Demo Outfitters", storefront_url="https://demo-shop.example")
    factory.enable(shop, "abandoned_checkout", "thank_you", "review_request")
    replay_demo_day(client, harness)
    with app.app_context():
        db.session.add(
            SignupForm(shop_id=shop.id, name="Welcome", status="live", design=read_design({}).as_dict())
        )
        db.session.commit()
    return shop


def parameter_values(shop: Shop) -> dict[str, list[Any]]:
    """Return, for each URL parameter an admin route takes, the values that show its pages' variety."""
    contacts = db.session.scalars(select(Contact.id).where(Contact.shop_id == shop.id)).all()
    messages = db.session.scalars(select(Message).where(Message.shop_id == shop.id)).all()
    one_of_each_kind = {(m.channel, m.status): m.id for m in messages}
    forms = db.session.scalars(select(SignupForm.id).where(SignupForm.shop_id == shop.id)).all()
    return {
        "contact_id": contacts[:3],
        "message_id": sorted(one_of_each_kind.values()),
        "form_id": list(forms),
        "flow_key": list(CATALOGUE),
        "step": [],  # filled per flow below: a step belongs to its flow
        "fmt": ["json"],
    }


def admin_pages(app: Flask, shop: Shop, with_ids: bool = True) -> list[str]:
    """Return a URL for every page the admin blueprint routes, with real ids of the shop's rows
    (only the pages that name no row when ``with_ids`` is False)."""
    urls: list[str] = []
    with app.app_context(), app.test_request_context():
        values = parameter_values(shop)
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if not rule.endpoint.startswith("admin.") or rule.endpoint in NOT_PAGES:
                continue
            if "GET" not in (rule.methods or ()) or (rule.arguments and not with_ids):
                continue
            found = list(_fill(rule.arguments, values))
            assert found, f"{rule.rule}: the layout test has no value for {sorted(rule.arguments)}"
            urls.extend(url_for(rule.endpoint, **args) for args in found)
    return urls


def _fill(arguments: set[str], values: dict[str, list[Any]]) -> Iterator[dict[str, Any]]:
    if arguments == {"flow_key", "step"}:
        for key, flow in CATALOGUE.items():
            send = find_send(flow, None)
            if send is not None and send.setting:
                yield {"flow_key": key, "step": send.setting}
        return
    if not arguments:
        yield {}
        return
    (name,) = arguments
    for value in values.get(name, []):
        yield {name: value}


def visit(page: Page, url: str) -> bool:
    """Open an admin URL; return whether it is an HTML page (exports and JSON are not laid out)."""
    answer = page.request.get(url)
    assert answer.ok, f"{url} answered {answer.status}"
    if "text/html" not in answer.headers.get("content-type", ""):
        return False
    page.goto(url)
    return True


# The outermost elements that stick out of the page: where to look when a page is too wide.
OVERFLOWING = """() => {
  const edge = document.documentElement.clientWidth + 1;
  const sticksOut = (el) => el.getBoundingClientRect().right > edge;
  return [...document.querySelectorAll("main *")]
    .filter((el) => sticksOut(el) && !sticksOut(el.parentElement))
    .slice(0, 5).map((el) => `${el.tagName}.${el.className} ${(el.textContent || "").trim().slice(0, 40)}`);
}"""

# The size a label is drawn at: its font size in the SVG's units times the SVG's scale on screen.
SMALLEST_CHART_TEXT = """() => Math.min(999, ...[...document.querySelectorAll("svg.chart text")]
  .map((t) => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a))"""


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_no_admin_page_is_wider_than_the_viewport(app, demo_shop, live_server, page, viewport):
    page.set_viewport_size(viewport)
    sign_in(page, live_server, demo_shop)
    wide: dict[str, Any] = {}
    for url in admin_pages(app, demo_shop):
        if not visit(page, live_server + url):
            continue
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > viewport["width"]:
            wide[url] = (width, page.evaluate(OVERFLOWING))
    assert not wide, "\n".join(f"{url}: {width}px, {where}" for url, (width, where) in wide.items())


def test_a_saleor_shops_pages_fit_a_phone(app, factory, live_server, page):
    # Saleor's settings show the storefront snippet, a long line of code, in a card of the page.
    shop = factory.shop(domain=API_URL, platform="saleor", name="Demo Saleor Store", currency=None)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, shop)
    wide = {}
    for url in admin_pages(app, shop, with_ids=False):
        if visit(page, live_server + url):
            width = page.evaluate("document.scrollingElement.scrollWidth")
            if width > PHONE["width"]:
                wide[url] = (width, page.evaluate(OVERFLOWING))
    assert not wide, wide


def test_chart_labels_stay_readable_on_a_phone(app, demo_shop, live_server, page):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, demo_shop)
    expect(page.locator("svg.chart").first).to_be_visible()

    assert page.evaluate(SMALLEST_CHART_TEXT) >= 11


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_no_admin_page_has_a_serious_accessibility_violation(app, demo_shop, live_server, page, viewport):
    page.set_viewport_size(viewport)
    sign_in(page, live_server, demo_shop)
    found: dict[str, list[str]] = {}
    for url in admin_pages(app, demo_shop):
        if not visit(page, live_server + url):
            continue
        serious = serious_violations(page)
        if serious:
            found[url] = serious
    assert not found, "\n".join(f"{url}: {problems}" for url, problems in found.items())


FOCUSED = """() => {
  const el = document.activeElement;
  const outline = getComputedStyle(el).outlineStyle;
  return { name: el.name || "", outline: outline, visible: el.matches(":focus-visible") };
}"""


def test_a_refused_save_puts_visible_focus_on_the_first_field_to_fix(app, factory, live_server, page):
    shop = factory.shop(name="Demo Outfitters")
    sign_in(page, live_server, shop)
    page.goto(f"{live_server}/admin/flows/welcome_series")

    page.get_by_label("Wait before the discount").fill("100000")  # hours: past the 90 days allowed
    page.get_by_label("Wait before the discount").press("Enter")

    expect(page.get_by_role("alert").filter(has_text="value needs a change")).to_be_visible()
    assert page.evaluate(FOCUSED) == {"name": "delay_discount_delay", "outline": "solid", "visible": True}
    assert serious_violations(page) == []


def serious_violations(page: Page) -> list[str]:
    """Return axe-core's serious and critical findings on the page, with where they are."""
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in SERIOUS
    ]
