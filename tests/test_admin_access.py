"""Every admin page answers for exactly one shop: ids of another shop's rows are not found, every
form needs its CSRF token on a cookie session, and a login link works once."""

from __future__ import annotations

import re

import pytest

from app.db.models import Contact, FlowSetting
from app.web.admin.auth import login_link_token
from flows.catalogue import CATALOGUE
from tests.support.admin import log_in, private_message
from tests.support.db import count, rows


@pytest.fixture
def shop(factory):
    return factory.shop(name="Alpha Goods")


@pytest.fixture
def other_shop(factory):
    return factory.shop(domain="beta-shop.myshopify.com", name="Beta Wares")


PAGES = [
    "/admin",
    "/admin/flows",
    "/admin/flows/abandoned_checkout",
    "/admin/flows/thank_you/steps/email",
    "/admin/messages",
    "/admin/contacts",
    "/admin/settings",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_refuses_a_browser_without_a_shop(client, shop, path):
    assert client.get(path).status_code == 401


@pytest.mark.parametrize("path", PAGES)
def test_every_page_opens_for_a_signed_in_shop(client, shop, path):
    log_in(client, shop.id)

    response = client.get(path)

    assert response.status_code == 200
    assert "Alpha Goods" in response.text


def test_every_form_post_needs_the_csrf_token_on_a_cookie_session(app, client, shop):
    # given every POST route of the admin but signing in and out
    log_in(client, shop.id)
    posts = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        and "POST" in (rule.methods or ())
        and rule.endpoint != "admin.logout"
    ]
    assert len(posts) >= 13, [r.rule for r in posts]
    values = {
        "flow_key": "abandoned_checkout",
        "step": "first_email",
        "contact_id": "1",
        "event_id": "1",
        "form_id": "1",
    }

    # when each is posted without its token, then it is refused before anything changes
    for rule in posts:
        path = rule.rule
        for name, value in values.items():
            path = re.sub(rf"<(?:[^:>]+:)?{name}>", value, path)
        response = client.post(path, data={"enabled": "on", "confirmed": "yes", "confirm": "erase"})
        assert response.status_code == 400, path
    assert rows(app, FlowSetting) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/messages/{message}"),
        ("get", "/admin/contacts/{contact}"),
        ("post", "/admin/contacts/{contact}/unsubscribe"),
        ("post", "/admin/contacts/{contact}/export"),
        ("post", "/admin/contacts/{contact}/erase"),
    ],
)
def test_another_shops_rows_are_not_found(app, client, factory, shop, other_shop, method, path):
    theirs = private_message(factory, other_shop)
    csrf = log_in(client, shop.id)

    url = path.format(message=theirs.id, contact=theirs.contact_id)
    response = getattr(client, method)(url, data={"csrf_token": csrf, "channel": "email", "confirm": "erase"})

    assert response.status_code == 404
    assert "private@beta.example" not in response.text
    assert count(app, Contact, shop_id=other_shop.id) == 1
    assert rows(app, Contact)[0].email_consent == "subscribed"


def test_a_shops_own_message_opens_with_its_timeline(client, factory, shop):
    ours = private_message(factory, shop, email="buyer@alpha.example")
    log_in(client, shop.id)

    page = client.get(f"/admin/messages/{ours.id}").text

    assert "Thank you for your order #1" in page
    assert page.count('class="badge sent"') >= 2  # the header and the timeline


def test_a_login_link_works_once(client, shop):
    token = login_link_token("test-secret-key", shop.id)

    first = client.get(f"/admin/login/{token}")
    client.post("/admin/logout", data={"csrf_token": log_in(client, shop.id)})
    again = client.get(f"/admin/login/{token}")

    assert (first.status_code, again.status_code) == (303, 404)
    assert client.get("/admin").status_code == 401


def test_signing_out_forgets_the_shop(client, shop):
    csrf = log_in(client, shop.id)

    client.post("/admin/logout", data={"csrf_token": csrf})

    assert client.get("/admin").status_code == 401


def test_the_message_log_finds_messages_by_address_and_by_order(app, client, factory, shop):
    from app.db.models import Order

    mine = private_message(factory, shop, email="buyer@alpha.example")
    private_message(factory, shop, email="someone@else.example")
    enrollment_key = f"order:{mine.contact_id}"
    factory.session.add(Order(shop_id=shop.id, platform_id=enrollment_key.split(":")[1], name="#1042"))
    factory.session.commit()
    log_in(client, shop.id)

    by_address = client.get("/admin/messages?q=BUYER@alpha").text
    by_order = client.get("/admin/messages?q=%231042").text
    by_wildcard = client.get("/admin/messages?q=%25").text

    assert "buyer@alpha.example" in by_address and "someone@else.example" not in by_address
    assert "buyer@alpha.example" in by_order and "someone@else.example" not in by_order
    assert "No messages match" in by_wildcard


def test_the_message_log_pages_by_fifty_keeping_its_filters(client, factory, shop):
    for n in range(51):
        private_message(factory, shop, email=f"buyer{n:02d}@alpha.example")
    log_in(client, shop.id)

    first = client.get("/admin/messages?q=buyer&status=sent").text
    second = client.get("/admin/messages?q=buyer&status=sent&page=2").text

    assert "buyer50@alpha.example" in first and "buyer00@alpha.example" not in first
    assert 'href="/admin/messages?q=buyer&amp;status=sent&amp;page=2">Older</a>' in first
    assert ">Newer</a>" not in first
    assert "buyer00@alpha.example" in second
    assert 'href="/admin/messages?q=buyer&amp;status=sent&amp;page=1">Newer</a>' in second
    assert ">Older</a>" not in second


def test_the_message_log_filters_by_status(client, factory, shop):
    private_message(factory, shop, email="buyer@alpha.example")
    log_in(client, shop.id)

    assert "buyer@alpha.example" in client.get("/admin/messages?status=sent").text
    assert "No messages match" in client.get("/admin/messages?status=failed").text


def test_a_flow_switch_leaves_its_tuning_alone(app, client, factory, shop):
    factory.enable(shop, "thank_you", thank_you={"delays": {"delay": 600}})
    csrf = log_in(client, shop.id)

    response = client.post("/admin/flows/thank_you/toggle", data={"csrf_token": csrf, "enabled": "off"})

    assert response.status_code == 303
    (setting,) = rows(app, FlowSetting)
    assert (setting.enabled, setting.overrides) == (False, {"delays": {"delay": 600}})


def test_a_flow_needs_setup_while_the_sender_address_is_a_placeholder(client, factory, app, shop):
    app.extensions["storeflow"].config = app.extensions["storeflow"].config.replace(
        mail_from="store@storeflow.invalid"
    )
    log_in(client, shop.id)

    page = client.get("/admin/flows").text

    email_flows = [flow for flow in CATALOGUE.values() if any(s.channel == "email" for s in flow.sends())]
    assert page.count(">Needs setup<") == len(email_flows)
    assert "Set a sender email address in Settings." in page


def test_the_overview_shows_the_reports_figures_for_the_last_30_days(client, factory, shop, monkeypatch):
    from app.reports.queries import Report, Totals
    from app.web.admin import figures

    calls = []

    def report(shop_id, start, end):
        calls.append((shop_id, start, end))
        return Report(start=start, end=end, currency="EUR", totals=Totals(sent=7))

    log_in(client, shop.id)
    monkeypatch.setattr(figures, "shop_report", report)

    page = client.get("/admin").text

    (this_period, before) = calls  # the 30 days, then the 30 before them to compare with
    assert this_period[0] == before[0] == shop.id
    assert (this_period[2] - this_period[1]).days == (before[2] - before[1]).days == 29
    assert (this_period[1] - before[2]).days == 1
    assert 'data-metric="sent">7<' in page
    assert "€0.00" in page


def test_inside_shopify_a_form_post_answers_with_the_next_page(client, factory):
    from tests.support.shopify_api import session_token

    factory.shop(access_token_enc="enc", name="Alpha Goods")

    response = client.post(
        "/admin/flows/thank_you/toggle",
        data={"enabled": "on", "confirmed": "yes"},
        headers={"Authorization": f"Bearer {session_token()}"},
    )

    assert response.status_code == 200
    assert "Thank-you after purchase is switched on." in response.text
    assert 'data-embed="shopify"' in response.text
    assert "app-bridge.js" in response.text


def test_inside_shopify_the_next_page_names_its_address_for_the_history(client, factory):
    from tests.support.shopify import SHOP_DOMAIN
    from tests.support.shopify_api import session_token

    factory.shop(access_token_enc="enc", name="Alpha Goods")

    response = client.post(
        f"/admin/flows/thank_you/toggle?shop={SHOP_DOMAIN}&host=YWRtaW4&embedded=1",
        data={"enabled": "off"},
        headers={"Authorization": f"Bearer {session_token()}"},
    )

    assert (
        response.headers["Storeflow-Location"] == f"/admin/flows?shop={SHOP_DOMAIN}&host=YWRtaW4&embedded=1"
    )


def test_inside_shopify_links_keep_shopifys_query(client, factory):
    from tests.support.shopify import SHOP_DOMAIN
    from tests.support.shopify_api import session_token

    factory.shop(access_token_enc="enc")

    page = client.get(
        f"/admin/flows?embedded=1&shop={SHOP_DOMAIN}&host=aG9zdA&id_token={session_token()}"
    ).text

    assert f'href="/admin/flows/abandoned_checkout?embedded=1&amp;shop={SHOP_DOMAIN}&amp;host=aG9zdA"' in page
    assert "<ui-nav-menu>" in page
