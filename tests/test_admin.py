"""The admin's access rules and flow settings: one shop per credential, nothing of another shop visible."""

from __future__ import annotations

import re

import pytest

from app.db.models import FlowSetting, Message
from app.web.admin.auth import login_link_token
from flows.catalogue import CATALOGUE
from tests.support.db import rows
from tests.support.shopify import SHOP_DOMAIN


@pytest.fixture
def shop(factory):
    return factory.shop(name="Alpha Goods")


@pytest.fixture
def other_shop(factory):
    return factory.shop(domain="beta-shop.myshopify.com", name="Beta Wares")


def log_in(client, shop_id: int) -> str:
    """Use a one-time login link and return the page's CSRF token."""
    token = login_link_token("test-secret-key", shop_id)
    page = client.get(f"/admin/login/{token}", follow_redirects=True)
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_the_admin_refuses_a_browser_without_a_shop(client, shop):
    response = client.get("/admin")

    assert response.status_code == 401
    assert "Open Storeflow from your store" in response.text


def test_a_forged_login_link_is_refused(client, shop):
    assert client.get("/admin/login/not-a-real-token").status_code == 404


def test_a_logged_in_merchant_sees_every_flow_off_but_back_in_stock(client, shop):
    log_in(client, shop.id)

    page = client.get("/admin/flows").text

    for flow in CATALOGUE.values():
        assert flow.name in page
    assert page.count('role="switch" aria-checked="false"') == len(CATALOGUE) - 1
    assert page.count('role="switch" aria-checked="true"') == 1
    assert 'aria-checked="true"\n                  aria-label="Back in stock"' in page
    assert page.count(">Paused<") == len(CATALOGUE) - 1


def test_turning_a_flow_on_with_a_new_delay_is_stored(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/abandoned_checkout",
        data={
            "csrf_token": csrf,
            "enabled": "on",
            "confirmed": "yes",
            "delay_first_delay": "4",
            "step_first_email": "on",
        },
    )

    assert response.status_code == 303
    (setting,) = rows(app, FlowSetting)
    assert setting.enabled is True
    assert setting.overrides["delays"]["first_delay"] == 4 * 3600
    assert setting.overrides["steps"] == {
        "first_email": True,
        "sms": False,
        "second_email": False,
        "push": False,
    }


def test_a_delay_out_of_range_is_refused_with_a_clear_message(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/abandoned_checkout",
        data={"csrf_token": csrf, "enabled": "on", "confirmed": "yes", "delay_first_delay": "0.01"},
    )

    assert response.status_code == 400
    assert "Wait before the first email: must be between 5 minutes and 90 days" in response.text
    assert rows(app, FlowSetting) == []


def test_a_delay_that_is_not_a_number_is_refused(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post("/admin/flows/thank_you", data={"csrf_token": csrf, "delay_delay": "soon"})

    assert response.status_code == 400
    assert "is not a number of hours" in response.text


def test_a_form_without_its_csrf_token_is_refused(app, client, shop):
    log_in(client, shop.id)

    response = client.post("/admin/flows/thank_you", data={"enabled": "on", "confirmed": "yes"})

    assert response.status_code == 400
    assert rows(app, FlowSetting) == []


def test_an_unknown_flow_is_not_found(client, shop):
    csrf = log_in(client, shop.id)

    assert client.post("/admin/flows/nope", data={"csrf_token": csrf}).status_code == 404


def test_a_shop_cannot_change_another_shops_flows(app, client, shop, other_shop):
    csrf = log_in(client, shop.id)

    client.post(
        "/admin/flows/thank_you?shop=beta-shop.myshopify.com",
        data={"csrf_token": csrf, "enabled": "on", "confirmed": "yes", "shop_id": str(other_shop.id)},
    )

    assert [(s.shop_id, s.flow_key) for s in rows(app, FlowSetting)] == [(shop.id, "thank_you")]


def test_a_shop_sees_only_its_own_messages(app, client, shop, other_shop, factory):
    from app.db.models import Enrollment

    contact = factory.contact(other_shop, email="private@beta.example")
    enrollment = Enrollment(
        shop_id=other_shop.id,
        flow_key="thank_you",
        subject_key="order:1",
        contact_id=contact.id,
        anchor_at=factory.clock.now(),
        last_activity_at=factory.clock.now(),
        started_at=factory.clock.now(),
    )
    factory.session.add(enrollment)
    factory.session.flush()
    factory.session.add(
        Message(
            shop_id=other_shop.id,
            enrollment_id=enrollment.id,
            contact_id=contact.id,
            step_index=1,
            flow_key="thank_you",
            channel="email",
            template="thank_you",
            to_address="private@beta.example",
            status="sent",
        )
    )
    factory.session.commit()
    log_in(client, shop.id)

    overview, log = client.get("/admin").text, client.get("/admin/messages").text

    assert "private@beta.example" not in overview + log
    assert "No messages yet" in log


def test_the_login_link_command_prints_a_working_link(app, client, shop):
    result = app.test_cli_runner().invoke(args=["storeflow", "admin-link", shop.domain])

    path = result.output.strip().removeprefix("https://storeflow.test")
    assert client.get(path).status_code == 303
    assert client.get("/admin").status_code == 200


def test_an_uninstalled_shop_loses_admin_access(app, client, shop, factory):
    log_in(client, shop.id)
    shop.uninstalled_at = factory.clock.now()
    factory.session.commit()

    assert client.get("/admin").status_code == 401


def test_inside_shopify_a_session_token_opens_its_own_shops_admin(app, client, factory):
    from tests.support.shopify_api import session_token

    factory.shop(access_token_enc="enc", name="Alpha Goods")

    response = client.get(f"/admin?embedded=1&shop={SHOP_DOMAIN}&id_token={session_token()}")

    assert response.status_code == 200
    assert "Abandoned checkout recovery" in response.text
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]


def test_inside_shopify_a_forged_session_token_is_told_to_retry(client, factory):
    from tests.support.shopify_api import session_token

    factory.shop(access_token_enc="enc")

    response = client.get(
        "/admin",
        headers={"Authorization": f"Bearer {session_token(secret='forged-secret-that-is-long-enough-0123')}"},
    )

    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


def test_inside_shopify_a_post_needs_no_csrf_token(app, client, factory):
    from tests.support.shopify_api import session_token

    factory.shop(access_token_enc="enc")

    response = client.post(
        "/admin/flows/thank_you",
        data={"enabled": "on", "confirmed": "yes", "step_email": "on"},
        headers={"Authorization": f"Bearer {session_token()}"},
    )

    assert response.status_code == 200
    assert rows(app, FlowSetting)[0].enabled is True
