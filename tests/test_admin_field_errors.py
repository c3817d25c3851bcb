"""The admin's forms refuse bad values field by field: every error at once, each next to its field
(``aria-invalid`` and ``aria-describedby``), and what the merchant typed is what they see again.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from app.db.models import FlowSetting
from tests.support.admin import log_in
from tests.support.db import rows


@pytest.fixture
def shop(factory):
    return factory.shop()


def field(page: str, name: str) -> str:
    """Return the opening tag of the form field called ``name``."""
    found = re.search(rf'<(?:input|textarea|select)[^>]*\bname="{name}"[^>]*>', page)
    assert found is not None, name
    return found.group(0)


def error_of(page: str, tag: str) -> str:
    """Return the text of the error the field's aria-describedby points at."""
    assert 'aria-invalid="true"' in tag, tag
    described = re.search(r'aria-describedby="([^"]+)"', tag)
    assert described is not None, tag
    error_id = next(i for i in described.group(1).split() if i.endswith("-error"))
    found = re.search(rf'id="{error_id}"[^>]*>(?:<p>)?([^<]+)<', page)
    assert found is not None, error_id
    return unescape(found.group(1))


def test_the_flow_form_shows_every_error_next_to_its_field_and_keeps_what_was_typed(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/welcome_series",
        data={
            "csrf_token": csrf,
            "params_shown": "1",
            "enabled": "on",
            "delay_discount_delay": "soon",
            "param_discount_percent": "95",
            "condition_discount_email": "country > US",
        },
    )
    page = response.text

    assert response.status_code == 400
    assert "3 values need a change" in page
    assert error_of(page, field(page, "delay_discount_delay")).endswith("'soon' is not a number of hours")
    assert error_of(page, field(page, "param_discount_percent")).endswith("must be between 1 and 90")
    assert "condition refused" in error_of(page, field(page, "condition_discount_email"))
    assert 'value="soon"' in field(page, "delay_discount_delay")
    assert 'value="95"' in field(page, "param_discount_percent")
    assert 'value="country &gt; US"' in field(page, "condition_discount_email")
    assert rows(app, FlowSetting) == []


def test_a_field_without_an_error_is_not_marked_invalid(client, shop):
    csrf = log_in(client, shop.id)

    page = client.post(
        "/admin/flows/welcome_series",
        data={"csrf_token": csrf, "params_shown": "1", "param_discount_percent": "95"},
    ).text

    assert 'aria-invalid="true"' not in field(page, "delay_discount_delay")
    assert "1 value needs a change" in page


def test_the_limits_form_shows_every_error_next_to_its_field_and_keeps_what_was_typed(client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/settings/limits",
        data={
            "csrf_token": csrf,
            "quiet_start": "late",
            "quiet_end": "08:00",
            "budget_messages": "99",
            "cap_messages": "50",
            "cap_days": "7",
        },
    )
    page = response.text

    assert response.status_code == 400
    assert "3 values need a change" in page
    assert "two times of day" in error_of(page, field(page, "quiet_start"))
    assert "1 to 10 messages per window" in error_of(page, field(page, "budget_messages"))
    assert "1 to 20 messages per 1 to 30 days" in error_of(page, field(page, "cap_messages"))
    assert 'value="late"' in field(page, "quiet_start")
    assert 'value="99"' in field(page, "budget_messages")
    assert 'value="50"' in field(page, "cap_messages")
    assert 'aria-invalid="true"' not in field(page, "quiet_end")


def test_the_contact_budget_reports_both_of_its_fields_at_once(client, shop):
    csrf = log_in(client, shop.id)

    page = client.post(
        "/admin/settings/limits",
        data={"csrf_token": csrf, "budget_messages": "0", "smart_hours": "200"},
    ).text

    assert "2 values need a change" in page
    assert "1 to 10 messages per window" in error_of(page, field(page, "budget_messages"))
    assert "0 to 168 hours" in error_of(page, field(page, "smart_hours"))
    assert 'value="0"' in field(page, "budget_messages")
    assert 'value="200"' in field(page, "smart_hours")


def test_the_send_windows_report_both_channels_at_once(client, shop):
    csrf = log_in(client, shop.id)

    page = client.post(
        "/admin/settings/limits",
        data={
            "csrf_token": csrf,
            "email_window_start": "09:00",
            "email_window_end": "09:00",
            "push_window_start": "soon",
            "push_window_end": "21:00",
        },
    ).text

    assert "2 values need a change" in page
    assert "different times" in error_of(page, field(page, "email_window_start"))
    assert "two times of day" in error_of(page, field(page, "push_window_start"))


def test_the_sender_form_reports_both_fields_at_once(client, shop):
    csrf = log_in(client, shop.id)

    page = client.post(
        "/admin/settings/sender",
        data={"csrf_token": csrf, "sender_name": "x" * 101, "sender_address": "not-an-address"},
    ).text

    assert "at most 100 characters" in error_of(page, field(page, "sender_name"))
    assert "is not an email address" in error_of(page, field(page, "sender_address"))
    assert 'value="not-an-address"' in field(page, "sender_address")


def test_the_consent_form_marks_the_wording_that_is_too_long(client, shop):
    csrf = log_in(client, shop.id)

    page = client.post(
        "/admin/settings/consent", data={"csrf_token": csrf, "consent_wording": "y" * 2001}
    ).text

    assert "under 2000 characters" in error_of(page, field(page, "consent_wording"))
    assert "y" * 2001 in page


def test_a_refused_template_is_marked_at_its_part_with_the_line_and_keeps_the_edit(client, shop):
    csrf = log_in(client, shop.id)
    broken = "Hi {{ contact.first_name "

    response = client.post(
        "/admin/flows/abandoned_checkout/templates/first_email",
        data={"csrf_token": csrf, "part_subject": broken, "part_text": "Hello", "part_html": "<p>Hello</p>"},
    )
    page = response.text

    assert response.status_code == 400
    assert error_of(page, field(page, "part_subject")).startswith("Line 1: ")  # in plain words
    assert f"{broken}</textarea>" in unescape(page)
    assert 'aria-invalid="true"' not in field(page, "part_text")
