"""Signup forms on a storefront page in Chromium: shown by their rules, accessible (labels, focus,
Esc, contrast), and a submission that reaches the contact, the consent ledger and the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

from app.db import db
from app.db.models import ConsentChange, Contact, Shop, SignupForm
from app.db.models.forms import LIVE
from app.forms.design import read_design
from tests.browser.conftest import SCREENSHOTS, screenshot, sign_in
from tests.browser.test_admin_tour import assert_every_field_is_labelled
from tests.support.db import rows
from tests.support.outbox import sent

POPUP = "[data-sf-form][role=dialog]"
PHONE = {"width": 375, "height": 740}
# The contrast of each visible text element against the first opaque background behind it, as WCAG
# computes it, from the browser's computed styles.
CONTRASTS = """
(root) => {
  const rgb = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const channel = (c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (node) => {
    for (; node; node = node.parentElement) {
      const colour = rgb(getComputedStyle(node).backgroundColor);
      if (colour.length === 3 || colour[3] === 1) return colour.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...root.querySelectorAll("h2, p, label, span, button, input")]
    .filter((node) => node.offsetParent !== null && (node.textContent.trim() || node.value))
    .map((node) => {
      const [a, b] = [luminance(rgb(getComputedStyle(node).color)), luminance(background(node))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      return [node.tagName + ":" + node.textContent.trim().slice(0, 20), ratio];
    });
}
"""


@pytest.fixture
def shop(factory, live_server: str) -> Shop:
    return factory.shop(storefront_url=live_server)


@pytest.fixture
def make_form(app, shop: Shop) -> Callable[..., int]:
    def make(**design: Any) -> int:
        with app.app_context():
            form = SignupForm(
                shop_id=shop.id, name="Welcome", status=LIVE, design=read_design(design).as_dict()
            )
            db.session.add(form)
            db.session.commit()
            return form.id

    return make


@pytest.fixture
def storefront(browser: Browser, live_server: str, shop: Shop) -> Callable[[str], Page]:
    """Open a page of the shop's storefront (on the live app's origin) that loads the forms script."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()

    script = f'<script src="{live_server}/static/storeflow-forms.js" data-key="{shop.storefront_key}" async>'

    def serve(route: Route) -> None:
        slot = '<div data-storeflow-form="' + route.request.url.rsplit("embed=", 1)[-1] + '"></div>'
        html = f"""<!doctype html><html lang="en"><head><title>Shop</title></head><body>
          <button type="button" id="shop-button">Shop now</button>
          {slot if "embed=" in route.request.url else ""}
          <div style="height:3000px"></div>
          {script}</script>
        </body></html>"""
        route.fulfill(status=200, content_type="text/html", body=html)

    page.route(f"{live_server}/pages/**", serve)

    def visit(path: str, viewport: dict[str, int] | None = None) -> Page:
        if viewport:
            page.set_viewport_size(viewport)
        page.goto(f"{live_server}/pages{path}")
        page.wait_for_function("typeof window.storeflowForms === 'object'")
        return page

    yield visit
    context.close()


def snap(page: Page, name: str) -> None:
    """Save what the shopper sees (the viewport: the page below the popup is a tall spacer)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def sign_up(page: Page, clock, email: str = "ann@example.com") -> None:
    page.wait_for_load_state("networkidle")  # the view has been recorded, its ticket issued
    page.fill("input[type=email]", email)
    clock.advance(timedelta(seconds=10))  # a person takes a while; the server measures it
    page.click(".sf-submit")
    page.wait_for_selector("[data-sf-state=done]")


def test_the_popup_waits_for_its_delay(storefront, make_form):
    make_form(rules={"delay_seconds": 2})

    page = storefront("/home")
    page.wait_for_timeout(800)
    hidden_at_first = page.locator(POPUP).count()
    page.wait_for_selector(POPUP, timeout=5000)

    assert hidden_at_first == 0


def test_the_popup_stays_off_an_excluded_page(storefront, make_form):
    make_form(rules={"delay_seconds": 0, "exclude": ["/pages/cart*"]})

    page = storefront("/cart")
    page.wait_for_timeout(1500)

    assert page.locator(POPUP).count() == 0


def test_a_dismissed_popup_stays_away_within_its_frequency(storefront, make_form):
    make_form(rules={"delay_seconds": 0, "frequency_days": 7})
    page = storefront("/home")
    page.wait_for_selector(POPUP)

    page.keyboard.press("Escape")
    page.reload()
    page.wait_for_timeout(1500)

    assert page.locator(POPUP).count() == 0


def test_a_popup_shown_and_left_open_is_not_shown_again_within_its_frequency(storefront, make_form):
    make_form(rules={"delay_seconds": 0, "frequency_days": 1})
    page = storefront("/home")
    page.wait_for_selector(POPUP)

    page.goto(page.url.replace("/home", "/other"))
    page.wait_for_timeout(1500)

    assert page.locator(POPUP).count() == 0


def test_with_no_frequency_the_popup_shows_on_every_page(storefront, make_form):
    make_form(rules={"delay_seconds": 0, "frequency_days": 0})
    page = storefront("/home")
    page.wait_for_selector(POPUP)

    page.goto(page.url.replace("/home", "/other"))

    page.wait_for_selector(POPUP, timeout=3000)


def test_a_signup_holds_the_address_and_the_confirmation_reaches_the_outbox(
    app, storefront, make_form, clock, harness
):
    form = make_form(rules={"delay_seconds": 0})
    start = clock.now()
    page = storefront("/home")
    page.wait_for_selector(POPUP)

    sign_up(page, clock)
    harness.drain()

    (contact,) = rows(app, Contact)
    assert (contact.email, contact.email_consent) == ("ann@example.com", "pending")
    (change,) = rows(app, ConsentChange)
    assert change.source == f"storefront:form:{form}"
    assert [template for _, _, template, _ in sent(app, start)] == ["double_opt_in_1"]


def test_with_single_opt_in_the_welcome_email_reaches_the_outbox(
    app, storefront, make_form, factory, shop, clock, harness
):
    factory.enable(shop, "welcome_series")
    with app.app_context():
        db.session.get(Shop, shop.id).settings = {"consent": {"form_opt_in": "single"}}
        db.session.commit()
    make_form(rules={"delay_seconds": 0}, discount=True)
    start = clock.now()
    page = storefront("/home")
    page.wait_for_selector(POPUP)

    sign_up(page, clock)
    harness.drain()

    snap(page, "signup-form-success")
    assert "10% welcome code" in page.inner_text("[data-sf-offer]")
    (contact,) = rows(app, Contact)
    assert contact.email_consent == "subscribed"
    assert "welcome_1" in [template for _, _, template, _ in sent(app, start)]


def test_every_error_is_shown_at_once_and_marked_invalid(storefront, make_form):
    make_form(
        rules={"delay_seconds": 0}, fields=[{"name": "email"}, {"name": "first_name", "required": True}]
    )
    page = storefront("/home")
    page.wait_for_selector(POPUP)

    page.fill("input[type=email]", "not-an-address")
    page.click(".sf-submit")

    snap(page, "signup-form-errors")
    invalid = page.eval_on_selector_all("[aria-invalid=true]", "nodes => nodes.map(n => n.name)")
    assert sorted(invalid) == ["email", "first_name"]
    assert page.evaluate("document.activeElement.name") == "email"


def test_every_input_has_a_label(storefront, make_form):
    make_form(
        rules={"delay_seconds": 0},
        fields=[{"name": "email"}, {"name": "phone"}, {"name": "first_name"}, {"name": "birthday"}],
        sms_wording="Text me offers. Reply STOP to stop.",
    )
    page = storefront("/home")
    page.wait_for_selector(POPUP)

    labels = page.eval_on_selector_all(
        f"{POPUP} input", "nodes => nodes.map(n => [n.name, [...n.labels].map(l => l.textContent.trim())])"
    )

    assert len(labels) == 6  # four fields, the SMS box and the hidden honeypot
    assert all(texts and texts[0] for _, texts in labels)


def test_focus_moves_into_the_popup_is_trapped_and_returns_on_escape(storefront, make_form):
    make_form(rules={"delay_seconds": 1})
    page = storefront("/home")
    page.focus("#shop-button")
    page.wait_for_selector(POPUP)

    inside_on_open = page.evaluate(f"document.querySelector('{POPUP}').contains(document.activeElement)")
    inside_while_tabbing = []
    for _ in range(8):
        page.keyboard.press("Tab")
        inside_while_tabbing.append(
            page.evaluate(f"document.querySelector('{POPUP}').contains(document.activeElement)")
        )
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Escape")

    assert inside_on_open
    assert all(inside_while_tabbing)
    assert page.locator(POPUP).count() == 0
    assert page.evaluate("document.activeElement.id") == "shop-button"


def test_text_contrast_meets_wcag_aa(storefront, make_form):
    make_form(
        rules={"delay_seconds": 0}, style={"background": "#fdf6e3", "text": "#3b2f2f", "accent": "#7c2d12"}
    )
    page = storefront("/home")
    page.wait_for_selector(POPUP)

    contrasts = page.eval_on_selector(POPUP, CONTRASTS)
    snap(page, "signup-form-popup")

    assert contrasts
    assert [(name, ratio) for name, ratio in contrasts if ratio < 4.5] == []


def test_an_embedded_form_shows_in_its_place_at_once(storefront, make_form):
    form = make_form(kind="embedded", rules={"delay_seconds": 30})

    page = storefront(f"/home?embed={form}")

    page.wait_for_selector(f"[data-storeflow-form='{form}'] [data-sf-form][role=region]", timeout=3000)


def test_a_shopper_who_signed_up_is_not_asked_again(storefront, make_form, clock):
    make_form(rules={"delay_seconds": 0, "frequency_days": 0})
    page = storefront("/home")
    page.wait_for_selector(POPUP)
    sign_up(page, clock)

    page.reload()
    page.wait_for_timeout(1500)

    assert page.locator(POPUP).count() == 0


def test_the_popup_waits_until_the_page_is_scrolled_deep_enough(storefront, make_form):
    make_form(rules={"delay_seconds": 0, "scroll_percent": 50})
    page = storefront("/home")

    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight * 0.2)")
    page.wait_for_timeout(800)
    shown_early = page.locator(POPUP).count()
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")

    page.wait_for_selector(POPUP, timeout=3000)
    assert shown_early == 0


def test_an_exit_intent_popup_waits_for_the_pointer_to_leave(storefront, make_form):
    make_form(rules={"delay_seconds": 0, "exit_intent": True})
    page = storefront("/home")
    page.wait_for_timeout(800)
    shown_early = page.locator(POPUP).count()

    page.evaluate("document.dispatchEvent(new MouseEvent('mouseout', {clientY: -1, bubbles: true}))")

    page.wait_for_selector(POPUP, timeout=3000)
    assert shown_early == 0


def test_a_flyout_leaves_focus_on_the_page_and_closes_on_escape(storefront, make_form):
    make_form(kind="flyout", rules={"delay_seconds": 1})
    page = storefront("/home")
    page.focus("#shop-button")

    flyout = page.wait_for_selector("[data-sf-form][role=dialog]")
    modal = flyout.get_attribute("aria-modal")
    focused = page.evaluate("document.activeElement.id")
    page.keyboard.press("Escape")

    assert (modal, focused) == ("false", "shop-button")
    assert page.locator("[data-sf-form]").count() == 0


def test_on_a_phone_the_popup_is_a_sheet_at_the_bottom(storefront, make_form):
    make_form(rules={"delay_seconds": 0}, mobile="sheet")
    page = storefront("/home", viewport=PHONE)

    box = page.wait_for_selector(POPUP).bounding_box()

    assert box is not None
    assert (box["x"], box["width"]) == (0, PHONE["width"])
    assert abs(box["y"] + box["height"] - PHONE["height"]) < 1


def test_a_form_hidden_on_phones_stays_hidden_there(storefront, make_form):
    make_form(rules={"delay_seconds": 0}, mobile="hidden")
    page = storefront("/home", viewport=PHONE)

    page.wait_for_timeout(1500)

    assert page.locator(POPUP).count() == 0


def test_a_form_made_in_the_admin_previews_as_it_is_typed_and_goes_live(
    app, page: Page, live_server: str, shop: Shop, storefront
):
    sign_in(page, live_server, shop)
    page.goto(f"{live_server}/admin/forms/new")
    page.wait_for_selector("#form-preview [data-sf-form]")

    assert_every_field_is_labelled(page)
    page.fill("#f-name", "Spring popup")
    page.fill("#f-title", "Spring is here")
    page.wait_for_function("document.querySelector('#form-preview h2').textContent === 'Spring is here'")
    page.select_option("#f-status", "live")
    page.fill("#f-rules-delay_seconds", "0")
    screenshot(page, "signup-form-editor")
    page.click("text=Save form")
    page.wait_for_selector("text=Form saved and live on your storefront.")

    (form,) = rows(app, SignupForm)
    assert (form.name, form.status, form.design["title"]) == ("Spring popup", LIVE, "Spring is here")
    shopper = storefront("/home")
    assert "Spring is here" in shopper.wait_for_selector(POPUP).inner_text()
