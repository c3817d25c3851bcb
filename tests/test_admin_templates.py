"""The template editor: overrides render in a sandbox, are checked before they are saved, are
used by the flows, and never stop a running flow; tests go to the merchant, a few per hour."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from app.channels.outbox import OutboxChannel
from app.channels.registry import ChannelSet
from app.channels.sendgrid_email import SendGridChannel
from app.db.models import FlowSetting, Message
from app.messaging.render import render, render_strict
from tests.support.admin import log_in
from tests.support.db import rows
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.store import abandon_checkout

SUBJECT_AT_FAULT = re.compile(r'<textarea[^>]*id="part-subject"[^>]*aria-invalid="true"')

HOUR = timedelta(hours=1)
EDITOR = "/admin/flows/abandoned_checkout/templates/first_email"


@pytest.fixture
def shop(factory):
    return factory.shop(name="Alpha Goods")


def bundled(part: str) -> str:
    from app.messaging.render import template_source

    return template_source("abandoned_checkout_1", part)


def edit(client, csrf, action="", **parts):
    """Post the editor with the bundled parts, some replaced."""
    data = {
        "csrf_token": csrf,
        **{f"part_{p}": parts.get(p, bundled(p)) for p in ("subject", "text", "html")},
    }
    data.update({k: v for k, v in parts.items() if k not in ("subject", "text", "html")})
    return client.post(EDITOR + action, data=data)


def test_a_saved_subject_is_stored_alone_and_used_by_the_flow(app, client, harness, factory, shop):
    factory.enable(shop, "abandoned_checkout")
    csrf = log_in(client, shop.id)

    response = edit(client, csrf, subject="{{ contact.first_name }}, still deciding?", action="")

    assert response.status_code == 303
    (setting,) = rows(app, FlowSetting)
    assert setting.overrides["templates"] == {
        "abandoned_checkout_1": {"subject": "{{ contact.first_name }}, still deciding?"}
    }
    abandon_checkout(client, harness)
    harness.advance(HOUR)
    (message,) = rows(app, Message)
    assert (message.status, message.subject) == ("sent", "John, still deciding?")
    assert "You left something behind" in message.body_html  # the bundled body still applies


def test_saving_keeps_the_flows_delays(app, client, factory, shop):
    factory.enable(shop, "abandoned_checkout", abandoned_checkout={"delays": {"first_delay": 7200}})
    csrf = log_in(client, shop.id)

    edit(client, csrf, subject="Hello")

    assert rows(app, FlowSetting)[0].overrides["delays"] == {"first_delay": 7200}


@pytest.mark.parametrize(
    ("subject", "error"),
    [
        ("Hi {{ contact.first_name ", "Line 1: a {{ is never closed (add }} after the variable)"),
        ("{{ contact.nickname }}", "“nickname” is not a field of this variable"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "templates may not use __class__"),
        ("{{ shop.name.format.__globals__ }}", "Line 1:"),
    ],
)
def test_a_broken_or_unsafe_template_is_refused_with_its_part(app, client, shop, subject, error):
    csrf = log_in(client, shop.id)

    response = edit(client, csrf, subject=subject)

    assert response.status_code == 400
    assert html.escape(error, quote=False) in response.text
    assert "Not saved: the template has an error, shown next to it." in response.text
    assert SUBJECT_AT_FAULT.search(response.text)
    assert rows(app, FlowSetting) == []


def test_a_runtime_error_names_its_line(client, shop):
    csrf = log_in(client, shop.id)

    response = edit(client, csrf, text="Hi\nthere\n{{ checkout.line_items[9].title }}")

    assert "Line 3: " in response.text
    assert re.search(r'<textarea[^>]*id="part-text"[^>]*aria-invalid="true"', response.text)


def test_the_sandbox_refuses_python_internals_even_when_rendering_directly():
    from app.messaging.render import TemplatePartError

    with pytest.raises(TemplatePartError):
        render_strict("abandoned_checkout_sms", "sms", {}, {"text": "{{ cycler.__init__.__globals__ }}"})


def test_html_overrides_escape_shopper_data_and_text_does_not():
    context = {"contact": {"first_name": "<b>Tom & Jerry</b>"}}

    rendered = render_strict(
        "abandoned_checkout_1",
        "email",
        context,
        {
            "subject": "{{ contact.first_name }}",
            "text": "{{ contact.first_name }}",
            "html": "{{ contact.first_name }}",
        },
    )

    assert rendered.subject == "<b>Tom & Jerry</b>"
    assert rendered.text == "<b>Tom & Jerry</b>\n"
    assert rendered.html == "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"


def test_an_override_that_fails_on_real_data_falls_back_to_the_bundled_template(
    app, client, harness, factory, shop
):
    # given an override that works on the sample data (two items) but not on this shopper's (one)
    factory.enable(
        shop,
        "abandoned_checkout",
        abandoned_checkout={
            "templates": {"abandoned_checkout_1": {"subject": "{{ checkout.line_items[3].title }}"}}
        },
    )

    # when the reminder is due
    abandon_checkout(client, harness, line_items=[{"title": "Mug", "quantity": 1, "price": "9.00"}])
    harness.advance(HOUR)

    # then the bundled template goes out, and the message says why
    (message,) = rows(app, Message)
    assert (message.status, message.subject) == ("sent", "John, your cart at Alpha Goods is waiting")
    assert any("custom template failed, sent the default" in e.get("detail", "") for e in message.timeline)


def test_render_falls_back_and_says_why():
    rendered = render("abandoned_checkout_sms", "sms", _sms_context(), {"text": "{{ nope }}"})

    assert rendered.fallback is not None and "'nope' is undefined" in rendered.fallback
    assert rendered.text.startswith("Alpha Goods: Hi John")


def _sms_context():
    return {
        "shop": {"name": "Alpha Goods"},
        "contact": {"first_name": "John"},
        "checkout": {"recovery_url": "https://x.example/r"},
    }


def test_reset_returns_to_the_bundled_template(app, client, factory, shop):
    factory.enable(
        shop,
        "abandoned_checkout",
        abandoned_checkout={"templates": {"abandoned_checkout_1": {"subject": "Hi"}}},
    )
    csrf = log_in(client, shop.id)

    client.post(EDITOR, data={"csrf_token": csrf, "action": "reset"})

    assert rows(app, FlowSetting)[0].overrides["templates"] == {}


def test_the_preview_renders_unsaved_parts_with_sample_data(client, shop):
    csrf = log_in(client, shop.id)

    preview = edit(client, csrf, subject="Hi {{ contact.first_name }}", action="/preview").json

    assert preview["error"] is None
    assert preview["subject"] == "Hi Jane"
    assert "Linen shirt" in preview["html"] and "Linen shirt" in preview["text"]


def test_the_preview_uses_the_stores_latest_checkout(client, harness, factory, shop):
    abandon_checkout(client, harness)
    csrf = log_in(client, shop.id)

    preview = edit(client, csrf, action="/preview").json

    assert preview["subject"] == "John, your cart at Alpha Goods is waiting"
    assert "IPod Nano - 8GB" in preview["text"]


def test_the_preview_reports_an_error_as_data(client, shop):
    csrf = log_in(client, shop.id)

    preview = edit(client, csrf, html="{% if %}", action="/preview").json

    assert preview["error"]["part"] == "html"
    assert preview["error"]["line"] == 1
    assert (
        preview["error"]["message"]
        == "HTML, line 1: a tag is missing what it tests or loops over (like {% if cart %})"
    )
    assert preview["error"]["detail"] == "Expected an expression, got 'end of statement block'"


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture
def channels(sendgrid: FakeSendGrid) -> ChannelSet:
    return ChannelSet(email=SendGridChannel("SG.operator-key", host=sendgrid.url), sms=OutboxChannel())


def test_a_test_email_goes_to_the_merchant_through_the_real_channel_and_is_not_a_flow_message(
    app, client, shop, sendgrid
):
    csrf = log_in(client, shop.id)

    response = edit(
        client, csrf, action="/test", subject="Hi {{ contact.first_name }}", test_to="me@alpha.example"
    )

    assert response.status_code == 303
    (request,) = sendgrid.requests
    assert request.mail["subject"] == "[Test] Hi Jane"
    assert request.mail["personalizations"][0]["to"] == [{"email": "me@alpha.example"}]
    assert request.mail["categories"] == ["storeflow_test"]
    assert rows(app, Message) == []
    assert "Test sent to me@alpha.example through Sendgrid." in client.get(response.location).text


def test_a_test_needs_a_real_address(client, shop):
    csrf = log_in(client, shop.id)

    response = edit(client, csrf, action="/test", test_to="not-an-address")

    assert response.status_code == 400
    assert "Enter the email address to send the test to" in response.text


def test_tests_are_limited_per_hour(client, shop):
    csrf = log_in(client, shop.id)

    statuses = [edit(client, csrf, action="/test", test_to="me@alpha.example").status_code for _ in range(11)]

    assert statuses == [303] * 10 + [400]


def test_an_unknown_step_is_not_found(client, shop):
    csrf = log_in(client, shop.id)

    assert (
        client.post("/admin/flows/abandoned_checkout/templates/nope", data={"csrf_token": csrf}).status_code
        == 404
    )
    assert client.get("/admin/flows/abandoned_checkout/steps/nope").status_code == 404
