"""The email designer in the admin and at send time (issue 19.1): designs are saved as JSON, refused
with every problem as a 400, previewed with sample data, and sent like any template email."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.channels.outbox import OutboxChannel
from app.db.models import FlowSetting, Message, Shop
from app.design.brand import DEFAULT_BRAND
from app.messaging.channel import OutgoingMessage
from app.messaging.designed import render_message
from tests.support.admin import log_in
from tests.support.db import rows
from tests.support.store import abandon_checkout

HOUR = timedelta(hours=1)
DESIGNER = "/admin/flows/abandoned_checkout/design/first_email"
DESIGN = {
    "subject": "{first_name}, your cart is waiting",
    "preheader": "Saved for you",
    "blocks": [
        {"type": "text", "text": "Hi {first_name}, you left these behind.", "style": "heading"},
        {"type": "cart_lines", "show_total": True},
        {"type": "button", "label": "Return to checkout", "target": "recovery"},
        {
            "type": "button",
            "label": "Our lookbook",
            "target": "custom",
            "url": "https://lookbook.alpha.example/summer",
        },
        {"type": "divider"},
    ],
}


@pytest.fixture
def shop(factory):
    return factory.shop(name="Alpha Goods")


def post_design(client, csrf, design, action=""):
    return client.post(
        DESIGNER + action,
        data=json.dumps(design) if not isinstance(design, str) else design,
        headers={"X-CSRFToken": csrf, "Content-Type": "application/json"},
    )


def test_the_designer_page_shows_a_starter_design_and_both_previews(client, shop):
    log_in(client, shop.id)

    page = client.get(DESIGNER)

    assert page.status_code == 200
    assert 'id="preview-desktop"' in page.text and 'id="preview-mobile"' in page.text
    assert "Return to checkout" in page.text  # the starter's button, in the preview
    assert '"type": "cart_lines"' in page.text


def test_a_store_without_a_postal_address_is_flagged(client, shop):
    log_in(client, shop.id)

    assert 'id="address-missing"' in client.get(DESIGNER).text


def test_a_saved_brand_kit_with_an_address_clears_the_flag_and_frames_the_preview(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        DESIGNER + "/brand",
        data={
            "csrf_token": csrf,
            "address": "1 Market Street\nSpringfield",
            "accent": "#ff6600",
            "font": "georgia",
        },
    )

    assert response.status_code == 303
    (stored,) = rows(app, Shop)
    assert stored.settings["brand"]["address"] == "1 Market Street\nSpringfield"
    page = client.get(DESIGNER).text
    assert 'id="address-missing"' not in page
    assert "1 Market Street, Springfield" in page and "#ff6600" in page


def test_an_invalid_brand_kit_is_refused_at_each_field(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        DESIGNER + "/brand", data={"csrf_token": csrf, "accent": "red", "logo_url": "javascript:x"}
    )

    assert response.status_code == 400
    assert 'id="brand-accent" name="accent" type="color" value="red" aria-invalid="true"' in response.text
    assert 'id="brand-logo_url-error"' in response.text
    assert "brand" not in rows(app, Shop)[0].settings


def test_a_design_is_saved_as_json_and_reloads(app, client, shop):
    csrf = log_in(client, shop.id)

    response = post_design(client, csrf, DESIGN)

    assert response.status_code == 200 and response.json == {"saved": True, "errors": []}
    (setting,) = rows(app, FlowSetting)
    assert (
        setting.overrides["designs"]["abandoned_checkout_1"]["blocks"][3]["url"]
        == "https://lookbook.alpha.example/summer"
    )
    assert "Saved design" in client.get(DESIGNER).text


def test_the_preview_renders_the_unsaved_design_with_sample_data(client, shop):
    csrf = log_in(client, shop.id)

    preview = post_design(client, csrf, DESIGN, "/preview").json

    assert preview["subject"] == "Jane, your cart is waiting"
    assert "Linen shirt" in preview["html"] and "Linen shirt" in preview["text"]
    assert 'style="' in preview["html"]


def test_a_design_without_a_subject_keeps_the_templates(client, shop):
    csrf = log_in(client, shop.id)

    preview = post_design(client, csrf, {**DESIGN, "subject": ""}, "/preview").json

    assert preview["subject"] == "Jane, your cart at Alpha Goods is waiting"


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        "null",
        '{"blocks": [{"type": "text", "text": "\\udfff"}, '
        '{"type": "button", "label": "Go", "target": "custom", "url": "javascript:alert(1)"}]}',
        '{"blocks": [{"type": "image", "src": "https://x.example/a.png", "width": NaN}]}',
        json.dumps({"blocks": [{"type": "text", "text": "a" * 300_000}]}),
    ],
)
def test_a_hostile_body_is_a_400_listing_problems_and_stores_nothing(app, client, shop, body):
    csrf = log_in(client, shop.id)

    for action in ("", "/preview"):
        response = post_design(client, csrf, body, action)

        assert response.status_code == 400
        assert response.json["errors"] and all(problem["text"] for problem in response.json["errors"])
    assert rows(app, FlowSetting) == []


def test_a_lone_surrogate_is_stored_as_a_replacement_character(app, client, shop):
    csrf = log_in(client, shop.id)

    body = '{"blocks": [{"type": "text", "text": "half an emoji \\ud83d and \\u0000 a NUL"}]}'
    response = post_design(client, csrf, body)

    assert response.status_code == 200
    (setting,) = rows(app, FlowSetting)
    assert (
        setting.overrides["designs"]["abandoned_checkout_1"]["blocks"][0]["text"]
        == "half an emoji \ufffd and  a NUL"
    )


def test_every_problem_comes_back_with_its_block(client, shop):
    csrf = log_in(client, shop.id)

    response = post_design(
        client, csrf, {"blocks": [{"type": "text"}, {"type": "button", "label": "Go", "target": "custom"}]}
    )

    assert [(p["block"], p["field"]) for p in response.json["errors"]] == [(0, "text"), (1, "url")]


def test_a_test_of_the_unsaved_design_reaches_the_outbox(app, client, shop, outbox):
    csrf = log_in(client, shop.id)

    response = client.post(
        DESIGNER + "/test",
        json={"design": DESIGN, "to": "me@alpha.example"},
        headers={"X-CSRFToken": csrf},
    )

    assert response.status_code == 200
    assert (
        response.json["notice"]
        == "Test sent to me@alpha.example through the development outbox (the worker's log)."
    )
    (email,) = outbox
    assert email.subject == "[Test] Jane, your cart is waiting"
    assert "Linen shirt" in email.html and "Linen shirt" in email.text
    assert rows(app, Message) == [] and rows(app, FlowSetting) == []


@pytest.mark.parametrize(
    "body", [{"design": DESIGN, "to": "not an address"}, {"design": DESIGN}, {"to": "me@alpha.example"}, []]
)
def test_a_test_without_an_address_or_a_design_is_refused(client, shop, outbox, body):
    csrf = log_in(client, shop.id)

    response = client.post(DESIGNER + "/test", json=body, headers={"X-CSRFToken": csrf})

    assert response.status_code == 400 and response.json["errors"]
    assert outbox == []


def test_only_email_steps_have_a_designer(client, shop):
    log_in(client, shop.id)

    assert client.get("/admin/flows/abandoned_checkout/design/sms").status_code == 404
    assert client.get("/admin/flows/nope/design/first_email").status_code == 404


def test_removing_the_design_returns_the_step_to_its_template(app, client, factory, shop):
    factory.enable(
        shop, "abandoned_checkout", abandoned_checkout={"designs": {"abandoned_checkout_1": DESIGN}}
    )
    csrf = log_in(client, shop.id)

    client.post(DESIGNER + "/remove", data={"csrf_token": csrf})

    assert rows(app, FlowSetting)[0].overrides["designs"] == {}


@pytest.fixture
def outbox(monkeypatch):
    """What reached the dev outbox, as the channel was handed it (the outbox itself still runs)."""
    handed: list[OutgoingMessage] = []
    original = OutboxChannel.send

    def send(self, message):
        handed.append(message)
        return original(self, message)

    monkeypatch.setattr(OutboxChannel, "send", send)
    return handed


def test_a_designed_step_reaches_the_outbox_with_html_and_text_parts_sent_like_a_template(
    app, client, harness, factory, shop, outbox
):
    factory.enable(
        shop, "abandoned_checkout", abandoned_checkout={"designs": {"abandoned_checkout_1": DESIGN}}
    )

    abandon_checkout(client, harness)
    harness.advance(HOUR)

    (email,) = [message for message in outbox if message.channel == "email"]
    assert email.subject == "John, your cart is waiting"
    assert "Hi John, you left these behind." in email.html and "Hi John, you left these behind." in email.text
    assert 'style="' in email.html and "IPod Nano - 8GB" in email.html
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.headers["List-Unsubscribe"].startswith("<https://storeflow.test/u/")
    (message,) = rows(app, Message)
    assert message.status == "sent" and message.body_html == email.html
    # every link is tracked, the merchant's own lookbook included; the unsubscribe link is kept as it is
    assert "https://lookbook.alpha.example/summer" in message.links
    assert "lookbook.alpha.example" not in email.html and "/c/" in email.html
    assert email.headers["List-Unsubscribe"][1:-1] in email.html
    # the shop has no postal address yet: the message went, and says so in its timeline
    assert any("without the store's postal address" in entry.get("detail", "") for entry in message.timeline)


def test_a_designed_email_with_the_address_carries_no_warning(app, client, harness, factory, shop, outbox):
    shop.settings = {"brand": {"address": "1 Market Street, Springfield"}}
    factory.session.commit()
    factory.enable(
        shop, "abandoned_checkout", abandoned_checkout={"designs": {"abandoned_checkout_1": DESIGN}}
    )

    abandon_checkout(client, harness)
    harness.advance(HOUR)

    (message,) = rows(app, Message)
    assert message.status == "sent" and "1 Market Street, Springfield" in message.body_html
    assert not any("postal address" in entry.get("detail", "") for entry in message.timeline)


def test_a_jinja_body_override_takes_precedence_over_a_design():
    overrides = {
        "templates": {"abandoned_checkout_1": {"html": "<p>developer's</p>", "text": "developer's"}},
        "designs": {"abandoned_checkout_1": DESIGN},
    }

    rendered = render_message("abandoned_checkout_1", "email", _context(), overrides, DEFAULT_BRAND)

    assert rendered.html == "<p>developer's</p>" and rendered.fallback is None


def test_a_jinja_subject_override_alone_leaves_the_design_in_charge_of_the_body():
    overrides = {
        "templates": {"abandoned_checkout_1": {"subject": "From Jinja"}},
        "designs": {"abandoned_checkout_1": {**DESIGN, "subject": ""}},
    }

    rendered = render_message("abandoned_checkout_1", "email", _context(), overrides, DEFAULT_BRAND)

    assert rendered.subject == "From Jinja" and "you left these behind" in (rendered.html or "")


def test_a_stored_design_that_no_longer_reads_falls_back_to_the_bundled_template_and_says_why():
    overrides = {
        "designs": {
            "abandoned_checkout_1": {
                "blocks": [{"type": "button", "label": "x", "target": "custom", "url": "javascript:x"}]
            }
        }
    }

    rendered = render_message("abandoned_checkout_1", "email", _context(), overrides, DEFAULT_BRAND)

    assert rendered.fallback is not None and rendered.fallback.startswith("design: block 1, url:")
    assert "You left something behind" in (rendered.html or "")


def test_sms_steps_ignore_designs():
    overrides = {"designs": {"abandoned_checkout_sms": DESIGN}}

    rendered = render_message("abandoned_checkout_sms", "sms", _context(), overrides, DEFAULT_BRAND)

    assert rendered.html is None and rendered.text.startswith("Alpha Goods")


def _context():
    from app.messaging.context import EXTRAS

    return {
        **EXTRAS,
        "shop": {"name": "Alpha Goods", "url": "https://alpha.example", "email": None},
        "contact": {"first_name": "John", "name": "John", "email": "john@example.com"},
        "unsubscribe_url": "https://app.example/u/x",
        "checkout": {
            "recovery_url": "https://alpha.example/r",
            "line_items": [],
            "total_price": "1.00",
            "currency": "EUR",
        },
        "order": None,
        "cart": None,
    }
