"""The flow tools in a real browser: simulate a flow from its page, and upload a flow file."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.db.models import FlowSetting
from tests.browser.conftest import screenshot, sign_in
from tests.support.db import rows

pytestmark = pytest.mark.browser


def test_a_merchant_simulates_a_flow_from_its_page(factory, live_server, page):
    shop = factory.shop(name="Alpha Goods", timezone="America/New_York")
    sign_in(page, live_server, shop)

    page.goto(f"{live_server}/admin/flows/abandoned_checkout")
    page.get_by_label("Synthetic shopper").select_option("email_only")
    page.get_by_role("button", name="Simulate").click()

    expect(page.get_by_role("heading", name="Simulation: Abandoned checkout recovery")).to_be_visible()
    timeline = page.get_by_role("table", name="Timeline")
    skipped = timeline.locator("tr.sim-skipped")
    expect(skipped.filter(has_text="SMS reminder")).to_contain_text("no sms marketing consent (never given)")
    expect(skipped.filter(has_text="Web push")).to_contain_text("step switched off")
    expect(timeline.locator("tr.sim-sent")).to_have_count(2)
    screenshot(page, "flow-simulation")


def test_a_bad_flow_file_is_refused_on_the_flows_page(app, factory, live_server, page, tmp_path):
    shop = factory.shop(name="Alpha Goods")
    bad = tmp_path / "flows.yaml"
    bad.write_text("flows:\n  welcome_series:\n    holdout: 70\n")
    sign_in(page, live_server, shop)

    page.goto(f"{live_server}/admin/flows")
    page.get_by_label("Import a flow file").set_input_files(str(bad))
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Nothing imported. welcome_series: Welcome series: the holdout share must be a whole percent"
    )
    assert rows(app, FlowSetting) == []
