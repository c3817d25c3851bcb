"""The admin inside the Saleor dashboard: its token speaks for one installation, and nothing else.

Dashboard tokens are RS256 JWTs signed with the instance's test key; the JWKS is served with
``responses``. The merchant's Saleor settings (checkout URL, consent rule) live on the same page.
"""

from __future__ import annotations

import re
import time

import pytest
import responses

from app.db.models import Checkout, FlowSetting, Shop
from app.platforms.saleor.manifest import fingerprint
from app.web.admin.auth import login_link_token
from tests.support.db import rows
from tests.support.saleor import (
    ALLOWLIST,
    API_URL,
    APP_ID,
    OTHER_API_URL,
    OTHER_JWKS_URL,
    other_key,
    serve_jwks,
    signing_key,
)

TEMPLATE = "https://shop.example/checkout?checkout={checkout_id}"


@pytest.fixture
def config_changes():
    return {"saleor_allowed_api_urls": ALLOWLIST}


@pytest.fixture
def saleor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_jwks(mock, signing_key("k1"))
        serve_jwks(mock, other_key("k1"), url=OTHER_JWKS_URL)
        yield mock


def saleor_shop(factory, app, domain=API_URL, app_id=APP_ID, **settings):
    current = fingerprint(app.extensions["storeflow"].config)
    return factory.shop(
        domain=domain,
        platform="saleor",
        name="Demo Saleor Store",
        access_token_enc=app.extensions["storeflow"].cipher.encrypt("app-token"),
        settings={"saleor": {"app_id": app_id, "webhooks_fingerprint": current}, **settings},
    )


@pytest.fixture
def shop(factory, app):
    return saleor_shop(factory, app)


def dashboard(token, api_url=API_URL):
    return {"Authorization": f"Bearer {token}", "Saleor-Api-Url": api_url}


def test_the_dashboard_token_opens_that_installations_admin(client, saleor, shop):
    response = client.get("/admin", headers=dashboard(signing_key("k1").dashboard_token()))
    settings = client.get("/admin/settings", headers=dashboard(signing_key("k1").dashboard_token()))

    assert response.status_code == 200
    assert "Abandoned checkout recovery" in response.text
    assert 'data-embed="saleor"' in response.text
    assert "Saleor storefront" in settings.text
    assert "cdn.shopify.com" not in response.text + settings.text


def test_the_page_warns_while_the_checkout_url_is_missing(client, saleor, shop):
    page = client.get("/admin", headers=dashboard(signing_key("k1").dashboard_token())).text

    assert 'id="saleor-template-missing"' in page
    assert "no recovery link for this checkout" in page


def test_the_settings_page_shows_the_consent_rule(client, saleor, shop):
    page = client.get("/admin/settings", headers=dashboard(signing_key("k1").dashboard_token())).text

    assert "<code>storeflow_marketing_consent</code> for email" in page
    assert "<code>storeflow_sms_consent</code> for SMS" in page


def test_a_token_signed_by_another_key_is_refused(client, saleor, shop):
    response = client.get("/admin", headers=dashboard(other_key("k1").dashboard_token()))

    assert response.status_code == 401


def test_an_expired_token_is_refused(client, saleor, shop):
    expired = signing_key("k1").dashboard_token(exp=int(time.time()) - 60)

    assert client.get("/admin", headers=dashboard(expired)).status_code == 401


def test_a_token_without_expiry_is_refused(client, saleor, shop):
    forever = signing_key("k1").dashboard_token(exp=None)

    assert client.get("/admin", headers=dashboard(forever)).status_code == 401


def test_a_token_for_another_app_is_refused(client, saleor, shop):
    token = signing_key("k1").dashboard_token(app="QXBwOjk5")

    assert client.get("/admin", headers=dashboard(token)).status_code == 401


def test_a_token_from_another_issuer_is_refused(client, saleor, shop):
    token = signing_key("k1").dashboard_token(issuer=OTHER_API_URL)

    assert client.get("/admin", headers=dashboard(token)).status_code == 401


def test_a_user_token_that_is_not_issued_to_an_app_is_refused(client, saleor, shop):
    token = signing_key("k1").dashboard_token(type="access")

    assert client.get("/admin", headers=dashboard(token)).status_code == 401


def test_a_staff_user_who_cannot_manage_apps_is_refused(client, saleor, shop):
    token = signing_key("k1").dashboard_token(user_permissions=["MANAGE_ORDERS"])

    assert client.get("/admin", headers=dashboard(token)).status_code == 401


def test_a_token_cannot_open_another_installation_by_naming_it(client, saleor, factory, app, shop):
    # given two installations on two instances, each with its own keys
    saleor_shop(factory, app, domain=OTHER_API_URL)
    ours = signing_key("k1").dashboard_token()

    # when our instance's token is presented with the other instance's URL
    response = client.get("/admin", headers=dashboard(ours, api_url=OTHER_API_URL))

    # then it does not verify against that instance's keys
    assert response.status_code == 401


def test_an_instance_off_the_allowlist_is_refused_without_fetching_keys(client, saleor, factory, app):
    saleor_shop(factory, app, domain="https://shop.elsewhere.test/graphql/")
    token = signing_key("k1").dashboard_token(issuer="https://shop.elsewhere.test/graphql/")

    response = client.get("/admin", headers=dashboard(token, api_url="https://shop.elsewhere.test/graphql/"))

    assert response.status_code == 401
    assert len(saleor.calls) == 0


def test_the_dashboard_can_switch_a_flow_on_without_a_csrf_token(app, client, saleor, shop):
    response = client.post(
        "/admin/flows/thank_you",
        data={"enabled": "on", "confirmed": "yes", "step_email": "on"},
        headers=dashboard(signing_key("k1").dashboard_token()),
    )

    assert response.status_code == 200
    (setting,) = rows(app, FlowSetting)
    assert (setting.shop_id, setting.flow_key, setting.enabled) == (shop.id, "thank_you", True)


def test_a_valid_checkout_url_template_is_saved_and_relinks_open_checkouts(
    app, client, saleor, shop, factory
):
    factory.session.add(Checkout(shop_id=shop.id, token="uuid", platform_id="Q2hlY2tvdXQ6dXVpZA=="))
    factory.session.commit()

    response = client.post(
        "/admin/saleor/settings",
        data={"checkout_url_template": TEMPLATE},
        headers=dashboard(signing_key("k1").dashboard_token()),
    )

    assert response.status_code == 200
    assert 'id="saleor-template-missing"' not in response.text
    (stored,) = rows(app, Shop)
    assert (stored.settings["checkout_url_template"], stored.storefront_url) == (
        TEMPLATE,
        "https://shop.example",
    )
    assert stored.settings["saleor"]["app_id"] == APP_ID
    assert (
        rows(app, Checkout)[0].recovery_url
        == "https://shop.example/checkout?checkout=Q2hlY2tvdXQ6dXVpZA%3D%3D"
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("http://shop.example/checkout?checkout={checkout_id}", "https://"),
        ("https://shop.example/checkout", "{checkout_id}"),
        ("https://shop.example/{checkout_id}/{checkout_id}", "exactly once"),
        ("https://shop.example/checkout?c={checkout_id}&x={token}", "exactly once"),
        ("", "Enter your storefront"),
    ],
)
def test_an_unusable_checkout_url_template_is_refused_with_the_reason(
    app, client, saleor, shop, template, message
):
    response = client.post(
        "/admin/saleor/settings",
        data={"checkout_url_template": template},
        headers=dashboard(signing_key("k1").dashboard_token()),
    )

    assert response.status_code == 400
    assert message in response.text
    assert "checkout_url_template" not in rows(app, Shop)[0].settings


def test_the_settings_form_with_a_login_link_needs_its_csrf_token(app, client, saleor, shop):
    token = login_link_token("test-secret-key", shop.id)
    page = client.get(f"/admin/login/{token}", follow_redirects=True).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    refused = client.post("/admin/saleor/settings", data={"checkout_url_template": TEMPLATE})
    saved = client.post(
        "/admin/saleor/settings", data={"checkout_url_template": TEMPLATE, "csrf_token": csrf}
    )

    assert (refused.status_code, saved.status_code) == (400, 303)


def test_a_shopify_shop_has_no_saleor_settings(app, client, factory):
    shopify = factory.shop()
    token = login_link_token("test-secret-key", shopify.id)
    page = client.get(f"/admin/login/{token}", follow_redirects=True).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    response = client.post(
        "/admin/saleor/settings", data={"checkout_url_template": TEMPLATE, "csrf_token": csrf}
    )

    assert "Saleor storefront" not in page
    assert response.status_code == 404


def test_opening_the_admin_of_a_stale_installation_queues_its_webhook_update(app, client, saleor, factory):
    stale = saleor_shop(factory, app)
    stale.settings = {"saleor": {"app_id": APP_ID, "webhooks_fingerprint": "older-queries"}}
    factory.session.commit()

    client.get("/admin", headers=dashboard(signing_key("k1").dashboard_token()))

    queue = app.extensions["storeflow"].queue
    assert [job.func_name for job in queue.jobs] == ["app.jobs.installs.sync_saleor_webhooks"]


def test_opening_the_admin_of_a_current_installation_queues_nothing(app, client, saleor, shop):
    client.get("/admin", headers=dashboard(signing_key("k1").dashboard_token()))

    assert len(app.extensions["storeflow"].queue) == 0


def test_the_dashboard_entry_page_waits_for_the_dashboards_token(client):
    page = client.get("/saleor/app?saleorApiUrl=https://demo.saleor.test/graphql/").text

    assert '"handshake"' in page
    assert "Saleor-Api-Url" in page


def test_the_data_privacy_page_states_the_consent_rule(client):
    page = client.get("/saleor/privacy").text

    assert "storeflow_marketing_consent" in page
