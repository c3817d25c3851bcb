"""The flow message templates, rendered with data built from the bundled Shopify samples.

The samples go through the real Shopify adapter and ``template_context``, so the templates see
exactly the variables a send step gives them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest

from app.db.models import Cart, Checkout, Contact, Order, Shop
from app.messaging.context import template_context
from app.messaging.render import Rendered, TemplateRenderError, render
from flows.catalogue import CATALOGUE
from tests.support.samples import sample
from webhooks.shopify.normalize import normalize

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
UNSUBSCRIBE_URL = "https://storeflow.test/u/signed-token"
RECOVERY_URL = "https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token"
ORDER_STATUS_URL = "https://jsmith.myshopify.com/548380009/orders/123456abcd/authenticate?key=abcdefg"
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"

CHECKOUT_EMAILS = ["abandoned_checkout_1", "abandoned_checkout_2"]
ORDER_EMAILS = ["thank_you", "review_request"]
EMAILS = CHECKOUT_EMAILS + ORDER_EMAILS

# GSM 03.38 basic character set (and the extension table, whose characters count twice).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")


def gsm7_length(text: str) -> int:
    unsupported = {c for c in text if c not in GSM7 and c not in GSM7_EXTENDED}
    assert not unsupported, f"not GSM-7, the SMS would fall back to 70-character UCS-2: {unsupported}"
    return sum(2 if c in GSM7_EXTENDED else 1 for c in text)


def make_shop(**fields: Any) -> Shop:
    defaults: dict[str, Any] = {
        "id": 1,
        "platform": "shopify",
        "domain": "demo-shop.myshopify.com",
        "name": "Demo Shop",
        "currency": "USD",
        "email": "hello@demo-shop.example",
    }
    return Shop(**{**defaults, **fields})


def make_contact(**fields: Any) -> Contact:
    defaults: dict[str, Any] = {
        "id": 1,
        "shop_id": 1,
        "first_name": "John",
        "last_name": "Smith",
        "email": "john@example.com",
    }
    return Contact(**{**defaults, **fields})


def make_checkout(**payload_changes: Any) -> Checkout:
    payload = sample("shopify", "checkouts_create__shopifydocs-2026-04") | payload_changes
    facts = normalize("checkouts/create", payload, NOW).checkout
    assert facts is not None
    return Checkout(
        shop_id=1,
        token=facts.token,
        recovery_url=facts.recovery_url,
        currency=facts.currency,
        total_price=facts.total_price,
        line_items=[item.as_dict() for item in facts.line_items],
    )


def make_order(**payload_changes: Any) -> Order:
    payload = sample("shopify", "orders_paid__shopifydocs-2026-04") | payload_changes
    facts = normalize("orders/paid", payload, NOW).order
    assert facts is not None
    return Order(
        shop_id=1,
        platform_id=facts.platform_id,
        name=facts.name,
        currency=facts.currency,
        total_price=facts.total_price,
        line_items=[item.as_dict() for item in facts.line_items],
        status_url=facts.status_url,
    )


def make_cart() -> Cart:
    payload = sample("shopify", "carts_create__shopifydocs-2026-04")
    facts = normalize("carts/create", payload, NOW).cart
    assert facts is not None
    return Cart(shop_id=1, token=facts.token, line_items=[item.as_dict() for item in facts.line_items])


def context_for(template: str, shop: Shop | None = None, contact: Contact | None = None) -> dict[str, Any]:
    subject = make_order() if template in ORDER_EMAILS else make_checkout()
    return template_context(shop or make_shop(), contact or make_contact(), subject, UNSUBSCRIBE_URL)


def render_email(template: str, context: dict[str, Any] | None = None) -> Rendered:
    return render(template, "email", context or context_for(template))


def html_links(html: str) -> list[str]:
    return [unescape(link) for link in re.findall(r'href="([^"]*)"', html)]


def text_links(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


# --- every email ---------------------------------------------------------------------------------


@pytest.mark.parametrize("template", EMAILS)
def test_email_renders_subject_text_and_html(template):
    rendered = render_email(template)

    assert rendered.subject
    assert "\n" not in rendered.subject
    assert rendered.text.strip()
    assert rendered.html is not None
    assert rendered.html.lstrip().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("template", EMAILS)
def test_email_names_the_store(template):
    rendered = render_email(template)

    assert "Demo Shop" in rendered.text
    assert rendered.html is not None
    assert "Demo Shop" in rendered.html


@pytest.mark.parametrize("template", EMAILS)
def test_email_greets_the_contact_by_first_name(template):
    rendered = render_email(template)

    assert rendered.text.startswith("Hi John,")
    assert rendered.html is not None
    assert "Hi John," in rendered.html


@pytest.mark.parametrize("template", EMAILS)
def test_email_says_hi_there_when_the_first_name_is_unknown(template):
    context = context_for(template, contact=make_contact(first_name=None, last_name=None))

    rendered = render_email(template, context)

    assert rendered.text.startswith("Hi there,")
    assert rendered.html is not None
    assert "Hi there," in rendered.html
    assert "None" not in rendered.text + rendered.html + (rendered.subject or "")


@pytest.mark.parametrize("template", EMAILS)
def test_email_footer_links_to_unsubscribe(template):
    rendered = render_email(template)

    assert f"Unsubscribe: {UNSUBSCRIBE_URL}" in rendered.text
    assert rendered.html is not None
    assert UNSUBSCRIBE_URL in html_links(rendered.html)


@pytest.mark.parametrize("template", EMAILS)
def test_email_html_is_email_safe(template):
    rendered = render_email(template)

    html = rendered.html
    assert html is not None
    assert "max-width:600px" in html
    assert 'role="presentation"' in html
    assert "<style" not in html, "styles must be inline: many clients drop <style> blocks"
    assert "<script" not in html
    assert "<div" not in html.split("</div>", 1)[1], "layout uses tables (the one div is the preheader)"


@pytest.mark.parametrize("template", EMAILS)
def test_email_renders_without_a_shop_email(template):
    rendered = render_email(template, context_for(template, shop=make_shop(email=None)))

    assert "mailto:" not in (rendered.html or "")
    assert "None" not in rendered.text


@pytest.mark.parametrize("template", EMAILS)
def test_product_titles_are_escaped_in_html(template):
    # given
    context = context_for(template)
    subject = context["order"] or context["checkout"]
    subject["line_items"][0]["title"] = SCRIPT

    # when
    rendered = render_email(template, context)

    # then
    assert rendered.html is not None
    assert ESCAPED_SCRIPT in rendered.html
    assert "<script" not in rendered.html
    assert SCRIPT in rendered.text, "plain text is not HTML: it shows the title as it is"


def test_store_name_is_escaped_in_html():
    context = context_for("abandoned_checkout_1", shop=make_shop(name="Tom & Jerry's <Toys>"))

    rendered = render_email("abandoned_checkout_1", context)

    assert rendered.html is not None
    assert "Tom &amp; Jerry&#39;s &lt;Toys&gt;" in rendered.html
    assert "<Toys>" not in rendered.html


def test_product_image_gets_the_title_as_alt_text():
    context = context_for("abandoned_checkout_1")
    context["checkout"]["line_items"][0]["image_url"] = "https://cdn.example/ipod.png"

    rendered = render_email("abandoned_checkout_1", context)

    assert rendered.html is not None
    assert re.search(r'<img src="https://cdn.example/ipod.png" alt="IPod Nano - 8GB"', rendered.html)


@pytest.mark.parametrize("shop_email", ["hello@demo-shop.example", None])
@pytest.mark.parametrize("template", EMAILS)
def test_plain_text_carries_the_same_links_as_html(template, shop_email):
    rendered = render_email(template, context_for(template, shop=make_shop(email=shop_email)))

    assert rendered.html is not None
    web_links = {link for link in html_links(rendered.html) if not link.startswith("mailto:")}
    assert web_links == set(text_links(rendered.text))
    for link in html_links(rendered.html):
        if link.startswith("mailto:"):
            assert link.removeprefix("mailto:") in rendered.text


@pytest.mark.parametrize(
    ("flow_key", "channel", "template"),
    [
        (flow.key, step.channel, step.template)
        for flow in CATALOGUE.values()
        for step in flow.editable_sends()
    ],
)
def test_every_send_step_in_the_catalogue_has_a_template(flow_key, channel, template):
    subjects = {"checkout": make_checkout, "order": make_order, "cart": make_cart}
    make_subject = subjects.get(CATALOGUE[flow_key].subject)
    subject = make_subject() if make_subject else None
    context = template_context(make_shop(), make_contact(), subject, UNSUBSCRIBE_URL)

    rendered = render(template, channel, context)

    assert rendered.text.strip()
    # A push's title is kept where an email's subject is.
    assert (rendered.subject is not None) == (channel in {"email", "push"})
    assert (rendered.url is not None) == (channel == "push")


# --- abandoned checkout --------------------------------------------------------------------------


@pytest.mark.parametrize("template", CHECKOUT_EMAILS)
def test_checkout_email_links_to_the_recovery_url(template):
    rendered = render_email(template)

    assert RECOVERY_URL in rendered.text
    assert rendered.html is not None
    assert RECOVERY_URL in html_links(rendered.html)


@pytest.mark.parametrize("template", CHECKOUT_EMAILS)
def test_checkout_email_recovery_button_is_a_clear_call_to_action(template):
    rendered = render_email(template)

    assert rendered.html is not None
    button = re.search(rf'<a href="{re.escape(RECOVERY_URL)}"[^>]*>([^<]+)</a>', rendered.html)
    assert button is not None
    assert button.group(1) in {"Complete your order", "Finish my order"}
    assert "background-color:#18181b" in rendered.html and "color:#ffffff" in rendered.html


@pytest.mark.parametrize("template", CHECKOUT_EMAILS)
def test_checkout_email_lists_items_with_quantity_and_price_and_the_total(template):
    rendered = render_email(template)

    assert "- 1 x IPod Nano - 8GB (Pink): $199.00" in rendered.text
    assert "Total: $421.88" in rendered.text
    html = rendered.html
    assert html is not None
    assert ">IPod Nano - 8GB</a>" in html
    assert ">Pink</span>" in html
    assert ">$199.00<" in html
    assert ">$421.88<" in html
    assert re.search(r'<th scope="col"[^>]*>Qty</th>', html)


def test_quantity_above_one_shows_the_unit_price_as_each():
    context = context_for("abandoned_checkout_1")
    context["checkout"]["line_items"][0]["quantity"] = 3

    rendered = render_email("abandoned_checkout_1", context)

    assert "- 3 x IPod Nano - 8GB (Pink): $199.00 each" in rendered.text


def test_second_checkout_email_is_a_last_reminder_with_its_own_subject():
    first = render_email("abandoned_checkout_1")
    second = render_email("abandoned_checkout_2")

    assert first.subject == "John, your cart at Demo Shop is waiting"
    assert second.subject == "Last reminder: your cart at Demo Shop"
    assert "last reminder" in second.text


def test_first_checkout_subject_without_a_first_name():
    context = context_for("abandoned_checkout_1", contact=make_contact(first_name=None))

    assert render_email("abandoned_checkout_1", context).subject == "Your cart at Demo Shop is waiting"


# --- thank you -----------------------------------------------------------------------------------


def test_thank_you_summarises_the_order():
    rendered = render_email("thank_you")

    assert rendered.subject == "Thank you for your order #9999"
    for line in (
        "- 1 x Aviator sunglasses: $89.99",
        "- 1 x Lens Protection Plan (2 Year): $19.99",
        "- 1 x Premium Leather Case: $24.99",
        "- 1 x Mid-century lounger: $159.99",
        "- 1 x Coffee table: $119.99",
        "Total: $404.95",
    ):
        assert line in rendered.text
    assert rendered.html is not None
    assert ">$404.95<" in rendered.html


def test_thank_you_links_to_the_order_status_page():
    rendered = render_email("thank_you")

    assert ORDER_STATUS_URL in rendered.text
    assert rendered.html is not None
    assert ORDER_STATUS_URL in html_links(rendered.html)


def test_thank_you_without_a_status_page_has_no_order_button():
    context = context_for("thank_you")
    context["order"]["status_url"] = None

    rendered = render_email("thank_you", context)

    assert "View your order" not in rendered.text
    assert "View your order" not in (rendered.html or "")


def test_thank_you_footer_says_why_a_buyer_gets_it():
    rendered = render_email("thank_you")

    assert "because you placed order #9999 with Demo Shop" in rendered.text
    assert "because you placed order #9999 with Demo Shop" in (rendered.html or "")


# --- review request ------------------------------------------------------------------------------


def test_review_request_has_one_review_link_per_purchased_product():
    context = context_for("review_request")
    product_urls = [item["url"] for item in context["order"]["line_items"]]

    rendered = render_email("review_request", context)

    assert len(product_urls) == 5
    assert rendered.html is not None
    assert rendered.html.count(">Write a review</a>") == 5
    for url in product_urls:
        assert html_links(rendered.html).count(url) == 1
        assert rendered.text.count(url) == 1


def test_review_request_asks_once_for_a_product_bought_twice():
    context = context_for("review_request")
    items = context["order"]["line_items"]
    items.append(dict(items[0]))

    rendered = render_email("review_request", context)

    assert (rendered.html or "").count(">Write a review</a>") == 5


def test_review_request_uses_the_product_page_when_known():
    context = context_for("review_request")
    context["order"]["line_items"][0]["url"] = "https://demo-shop.example/products/aviator"

    rendered = render_email("review_request", context)

    assert "Review Aviator sunglasses:\nhttps://demo-shop.example/products/aviator" in rendered.text


# --- SMS -----------------------------------------------------------------------------------------


def render_sms(shop: Shop | None = None, contact: Contact | None = None, **payload_changes: Any) -> str:
    context = template_context(
        shop or make_shop(), contact or make_contact(), make_checkout(**payload_changes), UNSUBSCRIBE_URL
    )
    return render("abandoned_checkout_sms", "sms", context).text


def test_sms_fits_one_segment_and_carries_the_recovery_link_and_opt_out():
    text = render_sms()

    assert gsm7_length(text) <= 160
    assert RECOVERY_URL in text
    assert text.endswith("Reply STOP to opt out")
    assert text.startswith("Demo Shop: ")


@pytest.mark.parametrize("shop_name", ["Demo Shop", "Northern Lights Candle Co", "Acme Outdoor Supply & Co"])
def test_sms_fits_one_segment_for_typical_store_names(shop_name):
    text = render_sms(shop=make_shop(name=shop_name))

    assert gsm7_length(text) <= 160
    assert RECOVERY_URL in text


def test_sms_greets_by_first_name_when_it_fits():
    short_link = "https://demo.example/r/abc123"

    text = render_sms(abandoned_checkout_url=short_link)

    assert (
        text == f"Demo Shop: Hi John, your cart is saved. Finish checkout: {short_link} Reply STOP to opt out"
    )


def test_sms_without_a_first_name():
    text = render_sms(contact=make_contact(first_name=None))

    assert text == f"Demo Shop: Your cart is saved. Finish checkout: {RECOVERY_URL} Reply STOP to opt out"


def test_sms_has_no_unsubscribe_link_or_html():
    text = render_sms()

    assert UNSUBSCRIBE_URL not in text
    assert "<" not in text


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", EMAILS)
def test_missing_variable_raises_template_render_error(template):
    context = context_for(template)
    del context["unsubscribe_url"]

    with pytest.raises(TemplateRenderError, match="unsubscribe_url"):
        render_email(template, context)


def test_checkout_email_without_a_checkout_raises_template_render_error():
    context = context_for("abandoned_checkout_1")
    del context["checkout"]

    with pytest.raises(TemplateRenderError, match="abandoned_checkout_1"):
        render_email("abandoned_checkout_1", context)


def test_sms_without_a_checkout_raises_template_render_error():
    context = context_for("abandoned_checkout_1")
    del context["checkout"]

    with pytest.raises(TemplateRenderError):
        render("abandoned_checkout_sms", "sms", context)


def test_unknown_template_raises_template_render_error():
    with pytest.raises(TemplateRenderError, match="no_such_template"):
        render("no_such_template", "email", context_for("thank_you"))
