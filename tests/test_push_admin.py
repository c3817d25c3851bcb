"""The admin's template editor for push steps: title, text and link, previewed and saved like email."""

from __future__ import annotations

import pytest

from app.db.models import FlowSetting
from tests.support.admin import log_in
from tests.support.db import rows

STEP = "/admin/flows/abandoned_checkout/steps/push"
TEMPLATES = "/admin/flows/abandoned_checkout/templates/push"


@pytest.fixture
def shop(factory):
    return factory.shop(name="Alpha Goods")


def parts(**changes: str) -> dict[str, str]:
    from app.messaging.render import template_source

    return {
        f"part_{p}": changes.get(p, template_source("abandoned_checkout_push", p))
        for p in ("title", "text", "url")
    }


def test_the_push_step_shows_its_title_text_and_link(client, shop):
    log_in(client, shop.id)

    page = client.get(STEP).text

    assert "Title" in page and "Notification text" in page and "Link opened on tap" in page
    assert "Alpha Goods: your cart is saved" in page  # the preview, with the store's sample data


def test_the_push_preview_answers_the_link_a_tap_opens(client, shop):
    csrf = log_in(client, shop.id)

    preview = client.post(
        f"{TEMPLATES}/preview", data={"csrf_token": csrf, **parts(url="{{ shop.url }}/sale")}
    )

    assert preview.json["subject"] == "Alpha Goods: your cart is saved"
    assert preview.json["url"].endswith("/sale")


def test_a_saved_push_title_is_stored_alone(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        TEMPLATES, data={"csrf_token": csrf, **parts(title="Still yours, {{ contact.first_name }}")}
    )

    assert response.status_code == 303
    (setting,) = rows(app, FlowSetting)
    assert setting.overrides["templates"] == {
        "abandoned_checkout_push": {"title": "Still yours, {{ contact.first_name }}"}
    }


def test_a_push_cannot_be_sent_as_a_test(client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        f"{TEMPLATES}/test", data={"csrf_token": csrf, "test_to": "me@alpha.example", **parts()}
    )

    assert response.status_code == 400
    assert "Pushes have no test address" in response.text


def test_the_cli_prints_a_matching_key_pair(app):
    from app.core.vapid import checked_public_key

    result = app.test_cli_runner().invoke(args=["storeflow", "vapid-keys"])

    lines = dict(line.split("=", 1) for line in result.output.strip().splitlines())
    assert (
        checked_public_key(lines["VAPID_PRIVATE_KEY"], lines["VAPID_PUBLIC_KEY"]) == lines["VAPID_PUBLIC_KEY"]
    )
