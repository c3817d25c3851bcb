"""A/B tests in a real browser: a merchant starts a 3-variant test on an SMS step from the flow
page, is told what to fix when the shares do not add up, and sees the test's per-variant figures."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.db.models import FlowSetting
from flows.ab import TESTS_KEY
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_admin_layout import serious_violations
from tests.support.db import rows

pytestmark = pytest.mark.browser


def test_a_merchant_starts_a_three_variant_test_on_an_sms_step(app, factory, live_server, page):
    shop = factory.shop(name="Alpha Goods")
    sign_in(page, live_server, shop)
    page.goto(f"{live_server}/admin/flows/abandoned_checkout")

    sms_step = page.locator("ol.timeline > li").filter(has_text="SMS reminder")
    sms_step.get_by_role("link", name="Start an A/B test").click()
    expect(page.get_by_role("heading", name="A/B test: SMS reminder (only with SMS consent)")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Share of variant A (%)").fill("34")
    page.get_by_label("Share of variant B (%)").fill("33")
    page.get_by_label("Share of variant C (%)").fill("30")
    page.locator("#content-B").check()
    page.get_by_label("Extra delay of variant C (minutes)").fill("30")
    page.get_by_label("Metric").select_option("orders")
    page.get_by_label("Minimum sends of each variant").fill("50")
    page.get_by_label("Chance of being best needed (%)").fill("95")
    page.get_by_role("button", name="Start the test").click()

    expect(page.get_by_role("alert").filter(has_text="value needs a change")).to_be_visible()
    expect(page.get_by_text("The shares must add up to 100 %")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Share of variant C (%)").fill("33")
    page.get_by_role("button", name="Start the test").click()

    expect(page.locator("[data-notice]")).to_have_text(
        "A/B test of “SMS reminder (only with SMS consent)” started with 3 variants."
    )
    sms_step = page.locator("ol.timeline > li").filter(has_text="SMS reminder")
    expect(sms_step).to_contain_text("A/B test · Running")
    results = sms_step.get_by_role("table", name="A/B test results per variant, since the test started")
    expect(results.locator("tbody tr")).to_have_count(3)
    expect(results.locator("tbody tr").nth(2)).to_contain_text("C")
    expect(sms_step).to_contain_text(
        "a winner needs 50 sends of each variant and a 95 % chance of being best"
    )
    assert serious_violations(page) == []
    screenshot(page, "ab-test-running")
    (setting,) = rows(app, FlowSetting)
    stored = setting.overrides[TESTS_KEY]["sms"]
    assert [(v["share"], v["content"], v["delay_minutes"]) for v in stored["variants"]] == [
        (34, False, 0),
        (33, True, 0),
        (33, False, 30),
    ]
    assert stored["metric"] == "orders"


def test_a_variant_with_its_own_email_is_designable(factory, live_server, page):
    shop = factory.shop(name="Alpha Goods")
    factory.enable(
        shop,
        "abandoned_checkout",
        abandoned_checkout={
            TESTS_KEY: {
                "first_email": {
                    "variants": [{"share": 50}, {"share": 50, "content": True}],
                    "minimum_sample": 100,
                    "threshold": 95,
                }
            }
        },
    )
    sign_in(page, live_server, shop)

    page.goto(f"{live_server}/admin/flows/abandoned_checkout/design/first_email_b")

    expect(page.get_by_text("Build “First reminder email, variant B” from blocks")).to_be_visible()
    expect(page.get_by_role("link", name="First reminder email, variant B")).to_have_attribute(
        "aria-current", "page"
    )
