"""Every admin page after the demo's day of webhooks, in a real browser: what the merchant sees,
that every form field is labelled, and a screenshot of each page (test-artifacts/screenshots/).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from app.reports.queries import DayTotals, FlowTotals, Report, Totals
from app.web.admin import figures
from tests.browser.conftest import screenshot, sign_in
from tests.support.store import replay_demo_day

pytestmark = pytest.mark.browser

UNLABELLED_FIELDS = """() => [...document.querySelectorAll("input, select, textarea")]
  .filter((el) => el.type !== "hidden" && el.labels.length === 0 && !el.getAttribute("aria-label"))
  .map((el) => el.name || el.id)"""


def assert_every_field_is_labelled(page: Page) -> None:
    assert page.evaluate(UNLABELLED_FIELDS) == [], page.url


@pytest.fixture
def demo_shop(factory, client, harness):
    """The demo's Shopify store after its day: three flows switched on (beside back in stock, on
    from install), the sample webhooks replayed."""
    shop = factory.shop(name="Demo Outfitters", storefront_url="https://demo-shop.example")
    factory.enable(shop, "abandoned_checkout", "thank_you", "review_request")
    replay_demo_day(client, harness)
    return shop


def test_the_overview_after_the_demos_events(app, demo_shop, live_server, page):
    sign_in(page, live_server, demo_shop)

    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_role("region", name="Totals for the last 30 days")).to_contain_text(
        "Attributed revenue"
    )
    activity = page.get_by_role("region", name="Recent activity")
    expect(activity).to_contain_text("jon@example.com")
    expect(activity).to_contain_text("example@email.com")
    flows = page.get_by_role("region", name="Flows earning most")
    for name in ("Abandoned checkout recovery", "Thank-you after purchase", "Review request"):
        expect(flows).to_contain_text(name)
    expect(flows.get_by_text("Live")).to_have_count(4)
    expect(
        page.get_by_role("img", name="Messages sent, opened and clicked per day, last 30 days")
    ).to_be_visible()
    assert_every_field_is_labelled(page)
    screenshot(page, "overview-demo-day")


def test_every_page_after_the_demos_events(app, demo_shop, live_server, page):
    sign_in(page, live_server, demo_shop)
    nav = page.get_by_role("navigation", name="Storeflow")

    nav.get_by_role("link", name="Messages").click()
    log = page.get_by_role("table")
    expect(log).to_contain_text("Thank you for your order #9999")
    expect(log.get_by_role("row").filter(has_text="+16135550123")).to_contain_text("SMS")
    page.get_by_label("Search").fill("#9999")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("row").filter(has_text="jon@example.com")).to_have_count(1)
    expect(page.get_by_role("row").filter(has_text="example@email.com")).to_have_count(0)
    assert_every_field_is_labelled(page)

    nav.get_by_role("link", name="Contacts").click()
    expect(page.get_by_role("table")).to_contain_text("example@email.com")
    assert_every_field_is_labelled(page)
    screenshot(page, "contacts")
    page.get_by_role("link", name="John Smith").first.click()
    consent = page.get_by_role("region", name="Marketing consent")
    expect(consent.get_by_role("row", name="Email")).to_contain_text("Subscribed")
    expect(consent.get_by_role("row", name="Email")).to_contain_text("checkout")
    assert_every_field_is_labelled(page)
    screenshot(page, "contact-detail")

    nav.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Storefront tracking")).to_be_visible()
    expect(page.locator("#pixel-status")).to_contain_text("web pixel")
    assert_every_field_is_labelled(page)
    screenshot(page, "settings")

    nav.get_by_role("link", name="Flows").click()
    for name in ("Abandoned checkout recovery", "Thank-you after purchase", "Review request"):
        expect(page.get_by_role("switch", name=name)).to_have_attribute("aria-checked", "true")
    assert_every_field_is_labelled(page)
    page.get_by_role("heading", name="Thank-you after purchase").get_by_role("link").click()
    expect(page.frame_locator("#preview-html").get_by_text("Thank you for your order!")).to_be_visible()
    assert_every_field_is_labelled(page)


def test_the_overview_charts_the_reports_figures(app, factory, live_server, page, monkeypatch):
    # given a report with 30 days of figures (the attribution work fills these in)
    shop = factory.shop(name="Demo Outfitters")
    factory.enable(shop, "abandoned_checkout", "thank_you")
    monkeypatch.setattr(figures, "shop_report", sample_report)

    # when the merchant opens the overview
    sign_in(page, live_server, shop)

    # then the tiles, the charts and the ranking show them
    totals = page.get_by_role("region", name="Totals for the last 30 days")
    expect(totals.locator("[data-metric=revenue]")).to_have_text("$4,860.00")
    expect(totals.locator("[data-metric=sent]")).to_have_text("1,230")
    expect(totals).to_contain_text("46% open rate")
    expect(page.locator("svg.chart rect.bar")).to_have_count(30)
    ranking = page.get_by_role("region", name="Flows earning most").get_by_role("row")
    expect(ranking.nth(1)).to_contain_text("Abandoned checkout recovery")
    expect(ranking.nth(1)).to_contain_text("$3,645.00")
    screenshot(page, "overview")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "overview-mobile")


def sample_report(shop_id: int, start, end) -> Report:
    """Thirty days of plausible figures: sends grow, revenue follows."""
    days = []
    for n in range((end - start).days + 1):
        sent = 25 + n + (n % 7) * 3
        revenue = Decimal(60 + (n * 37) % 190)
        days.append(
            DayTotals(
                start + timedelta(days=n),
                Totals(sent=sent, opened=sent // 2, clicked=sent // 6, revenue=revenue),
            )
        )
    return Report(
        start=start,
        end=end,
        currency="USD",
        totals=Totals(
            sent=1230, delivered=1204, opened=566, clicked=197, converted=54, revenue=Decimal("4860.00")
        ),
        per_day=days,
        per_flow=[
            FlowTotals(
                "thank_you", Totals(sent=410, opened=260, clicked=48, converted=9, revenue=Decimal("810.00"))
            ),
            FlowTotals(
                "abandoned_checkout",
                Totals(sent=720, opened=270, clicked=131, converted=40, revenue=Decimal("3645.00")),
            ),
            FlowTotals(
                "review_request",
                Totals(sent=100, opened=36, clicked=18, converted=5, revenue=Decimal("405.00")),
            ),
        ],
    )
