"""What a merchant does in the admin, in a real browser: switch a flow on and see it work, tune a
delay and see it used, edit a template with a live preview, read the overview, and never reach
another shop's data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from app.db.models import Enrollment, Message
from tests.browser.conftest import screenshot, sign_in
from tests.support.store import SHOPPER_EMAIL, abandon_checkout

pytestmark = pytest.mark.browser

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def notice(page: Page) -> Locator:
    """The confirmation banner a saved form leaves at the top of the page."""
    return page.locator(".banner[role=status]")


def open_section(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Storeflow").get_by_role("link", name=name).click()


def test_install_to_first_flow(app, client, harness, factory, live_server, page):
    # given a freshly installed shop whose merchant signs in
    shop = factory.shop(name="Alpha Goods")
    sign_in(page, live_server, shop)
    expect(page.get_by_role("heading", name="Get started")).to_be_visible()

    # when the merchant switches abandoned checkout recovery on
    open_section(page, "Flows")
    switch = page.get_by_role("switch", name="Abandoned checkout recovery")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    confirm = page.get_by_role("dialog", name="Switch on Abandoned checkout recovery?")
    expect(confirm).to_contain_text("up to 0 shoppers now")
    confirm.get_by_role("button", name="Switch on").click()

    # then the flow is live
    expect(notice(page)).to_contain_text("Abandoned checkout recovery is switched on.")
    expect(page.get_by_role("switch", name="Abandoned checkout recovery")).to_have_attribute(
        "aria-checked", "true"
    )
    screenshot(page, "flows")

    # when a shopper abandons a checkout and an hour passes
    abandon_checkout(client, harness)
    harness.advance(HOUR + MINUTE)

    # then the reminder is in the message log, sent, with its timeline
    open_section(page, "Messages")
    row = page.get_by_role("row").filter(has_text=SHOPPER_EMAIL)
    expect(row).to_contain_text("Sent")
    expect(row).to_contain_text("John, your cart at Alpha Goods is waiting")
    screenshot(page, "messages")
    row.get_by_role("link", name=SHOPPER_EMAIL).click()
    timeline = page.get_by_role("region", name="Status")
    expect(timeline).to_contain_text("Pending")
    expect(timeline).to_contain_text("Sent")
    expect(
        page.frame_locator("iframe[title='Email as sent (HTML)']").get_by_text("You left something behind")
    ).to_be_visible()
    screenshot(page, "message-detail")


def test_an_edited_delay_is_used_for_the_next_checkout(app, client, harness, factory, live_server, page):
    # given a live abandoned checkout flow
    shop = factory.shop(name="Alpha Goods")
    factory.enable(shop, "abandoned_checkout")
    sign_in(page, live_server, shop)
    open_section(page, "Flows")
    page.get_by_role("heading", name="Abandoned checkout recovery").get_by_role("link").click()

    # when the merchant waits 2 hours instead of 1 before the first email
    page.get_by_label("Wait before the first email").fill("2")
    page.get_by_role("button", name="Save steps").click()
    expect(notice(page)).to_contain_text("Abandoned checkout recovery saved.")
    expect(page.get_by_label("Wait before the first email")).to_have_value("2")

    # then a checkout abandoned now gets its email after two hours, not one
    abandon_checkout(client, harness)
    harness.advance(HOUR + MINUTE)
    open_section(page, "Messages")
    expect(page.get_by_role("heading", name="No messages yet")).to_be_visible()
    harness.advance(HOUR)
    page.reload()
    expect(page.get_by_role("row").filter(has_text=SHOPPER_EMAIL)).to_contain_text("Sent")


def test_a_template_is_previewed_live_and_saved(app, client, harness, factory, live_server, page):
    # given the flow detail page of a shop that has no checkouts yet (the preview uses sample data)
    shop = factory.shop(name="Alpha Goods")
    sign_in(page, live_server, shop)
    open_section(page, "Flows")
    page.get_by_role("link", name="Edit").first.click()
    editor = page.locator("#editor")
    expect(editor.locator("#preview-subject")).to_have_text("Jane, your cart at Alpha Goods is waiting")

    # when the merchant rewrites the subject
    editor.get_by_label("Subject").fill("Psst {{ contact.first_name }}, your {{ shop.name }} cart misses you")

    # then the preview follows as they type, with the sample shopper and the bundled body
    expect(editor.locator("#preview-subject")).to_have_text("Psst Jane, your Alpha Goods cart misses you")
    preview = page.frame_locator("#preview-html")
    expect(preview.get_by_text("You left something behind")).to_be_visible()
    expect(preview.get_by_text("Linen shirt")).to_be_visible()

    # when they make a mistake, the preview says where
    editor.get_by_label("Subject").fill("Psst {{ contact.first_name ")
    expect(editor.locator("#preview-error")).to_contain_text(
        "Subject, line 1: a {{ is never closed (add }} after the variable)"
    )
    screenshot(page, "flow-detail-error")

    # and saving the fixed version keeps it for the flow
    editor.get_by_label("Subject").fill("Psst {{ contact.first_name }}, your cart misses you")
    editor.get_by_role("button", name="Save template").click()
    expect(notice(page)).to_contain_text("First reminder email: template saved.")
    expect(page.locator("#editor").get_by_text("· customized")).to_be_visible()
    expect(page.locator("#preview-subject")).to_have_text("Psst Jane, your cart misses you")
    expect(page.frame_locator("#preview-html").get_by_text("Complete your order")).to_be_visible()
    screenshot(page, "flow-detail")

    # and the SMS step previews as a text message
    page.locator("#editor").get_by_role("link", name="SMS reminder").click()
    expect(page.locator("#preview-text")).to_contain_text("Alpha Goods: Hi Jane, your cart is saved.")
    screenshot(page, "flow-detail-sms")


def test_another_shops_message_and_contact_are_not_found(app, client, factory, live_server, page):
    # given a message and a contact of another shop
    ours = factory.shop(name="Alpha Goods")
    theirs = factory.shop(domain="beta-shop.myshopify.com", name="Beta Wares")
    contact = factory.contact(theirs, email="private@beta.example", first_name="Pat")
    now = datetime.now(UTC)
    enrollment = Enrollment(
        shop_id=theirs.id,
        flow_key="thank_you",
        subject_key="order:1",
        contact_id=contact.id,
        anchor_at=now,
        last_activity_at=now,
        started_at=now,
    )
    factory.session.add(enrollment)
    factory.session.flush()
    message = Message(
        shop_id=theirs.id,
        enrollment_id=enrollment.id,
        contact_id=contact.id,
        step_index=1,
        flow_key="thank_you",
        channel="email",
        template="thank_you",
        to_address="private@beta.example",
        status="sent",
    )
    factory.session.add(message)
    factory.session.commit()

    # when our merchant tries their URLs
    sign_in(page, live_server, ours)
    for path in (f"/admin/messages/{message.id}", f"/admin/contacts/{contact.id}"):
        response = page.goto(f"{live_server}{path}")

        # then it is as if they did not exist
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", name="This page isn't here")).to_be_visible()
        expect(page.get_by_text("private@beta.example")).to_have_count(0)
    screenshot(page, "not-found")
