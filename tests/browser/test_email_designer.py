"""The email designer in a real browser (issue 19.1): a merchant builds an email from blocks, sees it
at desktop and phone widths, saves it, and finds it again after a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from app.db.models import FlowSetting
from tests.browser.conftest import screenshot, sign_in
from tests.support.db import rows

pytestmark = pytest.mark.browser


def _block(page: Page, number: int):
    return page.locator("#design-blocks > li").nth(number - 1)


def _add(page: Page, kind: str) -> None:
    page.get_by_label("Add a block").select_option(kind)
    page.get_by_role("button", name="Add block").click()


def test_a_merchant_builds_an_email_from_blocks_previews_it_and_saves_it(app, factory, live_server, page):
    shop = factory.shop(name="Alpha Goods")
    sign_in(page, live_server, shop)

    # from the flow's template editor to the designer
    page.goto(f"{live_server}/admin/flows/abandoned_checkout/steps/first_email")
    page.get_by_role("link", name="Design this email with blocks").click()
    expect(page.get_by_role("heading", name="Email designer")).to_be_visible()
    expect(page.locator("#address-missing")).to_contain_text("No postal address")

    # start from an empty message: remove the starter's blocks
    while page.locator("#design-blocks > li").count():
        _block(page, 1).get_by_role("button", name="Remove").click()

    # build: a product grid, then a text block moved above it, a button and a divider removed again
    _add(page, "product_grid")
    _add(page, "text")
    _block(page, 2).get_by_label("Text").fill("Hello {first_name}, the summer range is in.")
    _block(page, 2).get_by_role("button", name="Up").click()
    _add(page, "button")
    _block(page, 3).get_by_label("Label").fill("See the range")
    _add(page, "divider")
    _block(page, 4).get_by_role("button", name="Remove").click()
    page.get_by_label("Subject line").fill("{first_name}, summer is here")
    expect(page.locator("#design-blocks > li h3")).to_have_text(["1. Text", "2. Product grid", "3. Button"])

    # the previews: 600 px and 375 px wide, the same email, product columns stacked on the phone
    desktop, mobile = page.locator("#preview-desktop"), page.locator("#preview-mobile")
    expect(
        page.frame_locator("#preview-desktop").get_by_text("Hello Jane, the summer range is in.")
    ).to_be_visible()
    expect(page.frame_locator("#preview-mobile").get_by_role("link", name="See the range")).to_be_visible()
    expect(page.locator("#design-preview-subject")).to_have_text("Jane, summer is here")
    assert round(desktop.bounding_box()["width"]) == 600
    assert round(mobile.bounding_box()["width"]) == 375
    wide = page.frame_locator("#preview-desktop").locator("td.card")
    narrow = page.frame_locator("#preview-mobile").locator("td.card")
    assert wide.nth(0).bounding_box()["y"] == wide.nth(1).bounding_box()["y"]  # side by side
    assert narrow.nth(1).bounding_box()["y"] > narrow.nth(0).bounding_box()["y"]  # stacked
    screenshot(page, "email-designer")

    # save, reload, and it is all there
    page.get_by_role("button", name="Save design").click()
    expect(page.locator("#design-status")).to_have_text("Design saved.")
    (setting,) = rows(app, FlowSetting)
    assert [b["type"] for b in setting.overrides["designs"]["abandoned_checkout_1"]["blocks"]] == [
        "text",
        "product_grid",
        "button",
    ]
    page.reload()
    expect(_block(page, 1).get_by_label("Text")).to_have_value("Hello {first_name}, the summer range is in.")
    expect(page.get_by_label("Subject line")).to_have_value("{first_name}, summer is here")
    expect(
        page.frame_locator("#preview-mobile").get_by_text("Hello Jane, the summer range is in.")
    ).to_be_visible()

    # and a test of it goes to the merchant
    page.get_by_label("Your email address").fill("me@alpha.example")
    page.get_by_role("button", name="Send test").click()
    expect(page.locator("#design-test-result")).to_have_text(
        "Test sent to me@alpha.example through the development outbox (the worker's log)."
    )


def test_a_refused_design_marks_the_block_at_fault(factory, live_server, page):
    shop = factory.shop(name="Alpha Goods")
    sign_in(page, live_server, shop)
    page.goto(f"{live_server}/admin/flows/abandoned_checkout/design/first_email")

    _add(page, "image")
    count = page.locator("#design-blocks > li").count()
    _block(page, count).get_by_label("Image address (https://…)").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save design").click()

    expect(page.locator("#design-errors")).to_contain_text(f"block {count}, src: must be a web address")
    expect(_block(page, count).get_by_label("Image address (https://…)")).to_have_attribute(
        "aria-invalid", "true"
    )


def test_the_designer_fits_a_phone_screen(factory, live_server, browser):
    shop = factory.shop(name="Alpha Goods")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    sign_in(phone, live_server, shop)

    phone.goto(f"{live_server}/admin/flows/abandoned_checkout/design/first_email")

    expect(phone.locator("#preview-mobile")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "email-designer-390")
    context.close()


def test_a_merchant_translates_their_design_into_german_by_changing_its_words(
    app, factory, live_server, page
):
    shop = factory.shop(name="Alpha Goods")
    english = {"subject": "Still there?", "blocks": [{"type": "text", "text": "Hi {first_name}, come back."}]}
    factory.enable(
        shop, "abandoned_checkout", abandoned_checkout={"designs": {"abandoned_checkout_1": english}}
    )
    sign_in(page, live_server, shop)
    page.goto(f"{live_server}/admin/flows/abandoned_checkout/design/first_email")

    page.locator("#step-languages").get_by_role("link", name="German").click()
    expect(_block(page, 1).get_by_label("Text")).to_have_value("Hi {first_name}, come back.")  # the copy
    _block(page, 1).get_by_label("Text").fill("Hallo {first_name}, kommen Sie zurück.")
    page.get_by_label("Subject line").fill("Noch da?")
    expect(
        page.frame_locator("#preview-desktop").get_by_text("Hallo Jane, kommen Sie zurück.")
    ).to_be_visible()
    page.get_by_role("button", name="Save design").click()
    expect(page.locator("#design-status")).to_have_text("Design saved.")

    (setting,) = rows(app, FlowSetting)
    assert setting.overrides["design_translations"]["de"]["abandoned_checkout_1"]["subject"] == "Noch da?"
    assert setting.overrides["designs"]["abandoned_checkout_1"] == english
    page.reload()
    expect(page.get_by_label("Subject line")).to_have_value("Noch da?")
