"""What the admin calls things: a message's real channel, why it was skipped, money in the shop's
currency and locale, instants in the shop's zone, and names where the database has ids.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.db.models import Enrollment, Message, Order
from app.reports.queries import FlowTotals, Report, Totals
from app.web.admin import figures
from tests.support.admin import log_in

AT = datetime(2026, 3, 2, 17, 5, tzinfo=UTC)


@pytest.fixture
def shop(factory):
    return factory.shop(name="Alpha Goods", timezone="America/New_York")


@pytest.fixture
def jane(factory, shop):
    return factory.contact(shop, email="jane@example.com", phone="+16135550123", first_name="Jane")


def message(factory, shop, contact, subject_key="order:5778367414999", **fields) -> Message:
    enrollment = Enrollment(
        shop_id=shop.id,
        flow_key=fields.pop("flow_key", "thank_you"),
        subject_key=subject_key,
        contact_id=contact.id,
        anchor_at=AT,
        last_activity_at=AT,
        started_at=AT,
        exit_reason=fields.pop("exit_reason", None),
    )
    factory.session.add(enrollment)
    factory.session.flush()
    row = Message(
        shop_id=shop.id,
        enrollment_id=enrollment.id,
        contact_id=contact.id,
        step_index=0,
        flow_key=enrollment.flow_key,
        template="t",
        timeline=[],
        **fields,
    )
    row.record(fields.get("status", "sent"), AT, fields.get("detail"))
    factory.session.add(row)
    factory.session.commit()
    return row


def test_a_push_message_is_labelled_web_push_everywhere(client, factory, shop, jane):
    push = message(factory, shop, jane, channel="push", to_address="push:1", status="sent")
    log_in(client, shop.id)

    listed = client.get("/admin/messages").text
    detail = client.get(f"/admin/messages/{push.id}").text

    assert '<td class="hide-small">Web push</td>' in listed
    assert "<dt>Channel</dt><dd>Web push</dd>" in detail
    assert "<h1>Web push to push:1</h1>" in detail


def test_a_subject_less_email_on_the_contact_page_is_not_called_sms(client, factory, shop, jane):
    message(factory, shop, jane, channel="email", to_address="jane@example.com", status="sent")
    log_in(client, shop.id)

    page = client.get(f"/admin/contacts/{jane.id}").text

    assert "Thank-you after purchase · Email</a>" in page
    assert " SMS</a>" not in page


def test_a_skipped_message_shows_the_contacts_address_and_why_in_plain_words(client, factory, shop, jane):
    message(
        factory,
        shop,
        jane,
        channel="email",
        status="skipped",
        detail="no email marketing consent (not_subscribed)",
    )
    log_in(client, shop.id)

    listed = client.get("/admin/messages").text

    assert "No address" not in listed
    assert ">jane@example.com</a>" in listed
    assert "Not subscribed to email marketing (not subscribed)" in listed


def test_internal_ids_become_the_order_number_and_the_contacts_name(client, factory, shop, jane):
    factory.session.add(Order(shop_id=shop.id, platform_id="5778367414999", name="#1042"))
    factory.session.commit()
    sent = message(
        factory,
        shop,
        jane,
        channel="email",
        to_address="jane@example.com",
        status="sent",
        exit_reason="order.placed (order:5778367414999)",
    )
    about_jane = message(
        factory,
        shop,
        jane,
        subject_key=f"contact:{jane.id}",
        flow_key="welcome_series",
        channel="email",
        to_address="jane@example.com",
        status="sent",
    )
    log_in(client, shop.id)

    detail = client.get(f"/admin/messages/{sent.id}").text
    about = client.get(f"/admin/messages/{about_jane.id}").text

    assert "<dt>About</dt><dd>Order #1042</dd>" in detail
    assert "Order #1042 placed" in detail
    assert "5778367414999" not in detail
    assert "<dt>About</dt><dd>Jane</dd>" in about


def test_times_are_shown_in_the_shops_zone_not_as_utc_iso(client, factory, shop, jane):
    sent = message(factory, shop, jane, channel="email", to_address="jane@example.com", status="sent")
    log_in(client, shop.id)

    detail = client.get(f"/admin/messages/{sent.id}").text

    assert "Mar 2, 2026 12:05" in detail  # 17:05 UTC is 12:05 in New York
    assert AT.isoformat() not in detail


def report_of(revenue: str, currency: str | None):
    def report(shop_id, start, end):
        totals = Totals(sent=3, converted=1, revenue=Decimal(revenue))
        return Report(start, end, currency, totals, [], [FlowTotals("thank_you", totals)])

    return report


def test_flow_cards_show_money_in_the_shops_currency(client, shop, monkeypatch):
    monkeypatch.setattr(figures, "shop_report", report_of("404.95", "USD"))
    log_in(client, shop.id)

    page = client.get("/admin/flows").text

    assert "$404.95" in page
    assert ">404.95<" not in page


def test_a_saleor_shop_shows_the_currency_its_orders_are_in(client, factory, monkeypatch):
    shop = factory.shop(platform="saleor", domain="https://demo.saleor.example/graphql/", currency=None)
    factory.session.add(Order(shop_id=shop.id, platform_id="T3JkZXI6MQ==", currency="EUR"))
    factory.session.commit()
    monkeypatch.setattr(figures, "shop_report", report_of("12.50", None))
    log_in(client, shop.id)

    page = client.get("/admin/flows").text

    assert "€12.50" in page


def test_money_follows_the_shops_locale(client, factory, monkeypatch):
    shop = factory.shop(domain="gamma.myshopify.com", currency="EUR", settings={"locale": "de_DE"})
    monkeypatch.setattr(figures, "shop_report", report_of("1404.95", "EUR"))
    log_in(client, shop.id)

    page = client.get("/admin/flows").text

    assert "1.404,95\xa0€" in page


def test_a_deferral_says_when_in_the_shops_zone(client, factory, shop, jane):
    message(
        factory,
        shop,
        jane,
        channel="email",
        status="pending",
        detail="contact budget: Welcome email sent 2 h ago: deferred to 2026-03-02 22:00 UTC",
    )
    log_in(client, shop.id)

    listed = client.get("/admin/messages").text

    assert "deferred to Mar 2, 2026 17:00" in listed
    assert "UTC" not in listed


def test_a_locale_babel_does_not_know_falls_back_to_us_english(client, factory, monkeypatch):
    shop = factory.shop(domain="delta.myshopify.com", settings={"locale": "xx_NOPE"})
    monkeypatch.setattr(figures, "shop_report", report_of("404.95", "USD"))
    log_in(client, shop.id)

    page = client.get("/admin/flows")

    assert page.status_code == 200
    assert "$404.95" in page.text


def test_a_custom_period_is_written_as_the_shops_locale_writes_days(client, factory):
    shop = factory.shop(domain="delta.myshopify.com", settings={"locale": "de_DE"})
    log_in(client, shop.id)

    overview = client.get("/admin?from=2026-03-02&to=2026-03-08").text

    assert "02.03.2026 \u2013 08.03.2026" in overview
    assert "2026-03-02" not in overview.replace('value="2026-03-02"', "")  # only the date input holds ISO
