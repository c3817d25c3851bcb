"""Consequential admin actions ask first, on the server, and say what they would do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db.models import Cart, Checkout, Contact, FlowSetting, Order, SignupForm
from app.reports.reach import estimated_reach
from flows.catalogue import CATALOGUE
from tests.support.db import count, rows
from tests.test_admin import log_in


@pytest.fixture
def shop(factory):
    return factory.shop(name="Alpha Goods")


def _checkout(factory, shop, contact, **fields):
    factory.session.add(
        Checkout(
            shop_id=shop.id, token=f"t{contact.id}", contact_id=contact.id, email=contact.email, **fields
        )
    )
    factory.session.commit()


def test_switching_a_flow_on_asks_first_with_the_shoppers_it_would_reach(app, client, factory, shop):
    for n in range(2):
        ready = factory.contact(shop, email=f"ready{n}@example.com", email_consent="subscribed")
        _checkout(factory, shop, ready)
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/abandoned_checkout/toggle", data={"csrf_token": csrf, "enabled": "on"}
    )

    assert response.status_code == 200
    assert response.headers["Storeflow-Confirmation"] == "1"
    assert "Switch on Abandoned checkout recovery?" in response.text
    assert "up to 2 shoppers now" in response.text
    assert rows(app, FlowSetting) == []


def test_the_confirmation_reposts_the_form_with_its_confirmation(client, factory, shop):
    csrf = log_in(client, shop.id)

    page = client.post(
        "/admin/flows/abandoned_checkout/toggle", data={"csrf_token": csrf, "enabled": "on"}
    ).text

    assert 'action="/admin/flows/abandoned_checkout/toggle"' in page
    assert '<input type="hidden" name="enabled" value="on">' in page
    assert '<input type="hidden" name="confirmed" value="yes">' in page


def test_a_confirmed_switch_turns_the_flow_on(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/abandoned_checkout/toggle",
        data={"csrf_token": csrf, "enabled": "on", "confirmed": "yes"},
    )

    assert response.status_code == 303
    assert [(s.flow_key, s.enabled) for s in rows(app, FlowSetting)] == [("abandoned_checkout", True)]


def test_switching_a_flow_off_needs_no_confirmation(app, client, factory, shop):
    factory.enable(shop, "abandoned_checkout")
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/abandoned_checkout/toggle", data={"csrf_token": csrf, "enabled": "off"}
    )

    assert response.status_code == 303
    assert [s.enabled for s in rows(app, FlowSetting)] == [False]


def test_the_flow_page_asks_before_switching_its_flow_on(app, client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/thank_you", data={"csrf_token": csrf, "enabled": "on", "step_email": "on"}
    )

    assert "Switch on Thank-you after purchase?" in response.text
    assert rows(app, FlowSetting) == []


def test_unsubscribing_a_shopper_asks_first_and_changes_nothing_until_confirmed(app, client, factory, shop):
    shopper = factory.contact(shop, email="ann@example.com", email_consent="subscribed")
    csrf = log_in(client, shop.id)

    response = client.post(
        f"/admin/contacts/{shopper.id}/unsubscribe", data={"csrf_token": csrf, "channel": "email"}
    )

    assert "Unsubscribe ann@example.com from email?" in response.text
    assert rows(app, Contact)[0].email_consent == "subscribed"


def test_deleting_a_form_asks_first(app, client, factory, shop):
    factory.session.add(SignupForm(shop_id=shop.id, name="Spring popup", status="draft", design={}))
    factory.session.commit()
    (form,) = rows(app, SignupForm)
    csrf = log_in(client, shop.id)

    response = client.post(f"/admin/forms/{form.id}/delete", data={"csrf_token": csrf})

    assert "Delete the form “Spring popup”?" in response.text
    assert count(app, SignupForm) == 1


def test_a_checkout_flow_reaches_consenting_shoppers_with_a_recent_open_checkout(app, factory, shop, clock):
    now = clock.now()
    ready = factory.contact(shop, email="ready@example.com", email_consent="subscribed")
    _checkout(factory, shop, ready, source_updated_at=now - timedelta(days=1))
    unsubscribed = factory.contact(shop, email="gone@example.com", email_consent="unsubscribed")
    _checkout(factory, shop, unsubscribed, source_updated_at=now)
    bought = factory.contact(shop, email="bought@example.com", email_consent="subscribed")
    _checkout(factory, shop, bought, source_updated_at=now, completed_at=now)
    stale = factory.contact(shop, email="stale@example.com", email_consent="subscribed")
    _checkout(factory, shop, stale, source_updated_at=now - timedelta(days=8))

    reach = estimated_reach(factory.session, shop.id, CATALOGUE["abandoned_checkout"], now)

    assert reach.shoppers == 1
    assert "checkout left open in the last 7 days" in reach.counted


def test_an_order_flow_reaches_about_a_months_buyers(app, factory, shop, clock):
    now = clock.now()
    for n, days_ago in enumerate((2, 40)):
        buyer = factory.contact(shop, email=f"b{n}@example.com")
        factory.session.add(
            Order(
                shop_id=shop.id,
                platform_id=str(n),
                contact_id=buyer.id,
                placed_at=now - timedelta(days=days_ago),
            )
        )
    factory.session.commit()

    reach = estimated_reach(factory.session, shop.id, CATALOGUE["thank_you"], now)

    assert reach.shoppers == 1


def test_a_shopper_flow_reaches_every_subscribed_shopper(app, factory, shop, clock):
    factory.contact(shop, email="in@example.com", email_consent="subscribed")
    factory.contact(shop, email="out@example.com", email_consent="unsubscribed")
    factory.contact(shop, phone="+15555550100", email_consent="subscribed")

    reach = estimated_reach(factory.session, shop.id, CATALOGUE["welcome_series"], clock.now())

    assert reach.shoppers == 1


def test_a_cart_flow_reaches_consenting_shoppers_whose_cart_changed_lately(app, factory, shop, clock):
    now = clock.now()
    for n, days_ago in enumerate((1, 9)):
        shopper = factory.contact(shop, email=f"c{n}@example.com", email_consent="subscribed")
        factory.session.add(
            Cart(
                shop_id=shop.id,
                token=f"cart{n}",
                contact_id=shopper.id,
                source_updated_at=now - timedelta(days=days_ago),
            )
        )
    factory.session.commit()

    reach = estimated_reach(factory.session, shop.id, CATALOGUE["abandoned_cart"], now)

    assert reach.shoppers == 1
    assert "cart changed in the last 7 days" in reach.counted
