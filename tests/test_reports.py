"""Reports: what the flows sent and earned, per day in the shop's time zone, per flow, step and channel;
and the JSON API the admin charts read, scoped to the signed-in shop."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.db import db
from app.db.models import Message, Order
from app.db.models.feedback import SENDGRID
from app.messaging.feedback import record_feedback
from app.reports.attribution import DEFAULT_WINDOWS, attribute_order
from app.reports.queries import ChannelTotals, FlowTotals, Totals, shop_report
from tests.support.messages import sent_message
from webhooks.feedback import Feedback

# Noon in New York on 26 November 2026 is 17:00 UTC; the shop's day ends at 05:00 UTC.
NOON = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
DAY = date(2026, 11, 26)


@pytest.fixture
def shop(factory):
    return factory.shop(timezone="America/New_York")


@pytest.fixture
def jane(factory, shop):
    return factory.contact(shop, email="jane@example.com", phone="+16135551111")


def send(shop, contact, at, **fields) -> Message:
    return sent_message(db.session, shop, contact, at, **fields)


def events(message: Message, *kinds_at: tuple[str, datetime]) -> None:
    record_feedback(
        db.session(),
        [Feedback(message.id, kind, SENDGRID, f"{message.id}-{kind}-{at}", at) for kind, at in kinds_at],
    )
    db.session.commit()


def order(shop, contact, at, total: str, platform_id: str = "1", cancelled: bool = False) -> Order:
    row = Order(
        shop_id=shop.id,
        platform_id=platform_id,
        contact_id=contact.id,
        total_price=Decimal(total),
        currency="USD",
        placed_at=at,
        cancelled_at=at if cancelled else None,
    )
    db.session.add(row)
    db.session.flush()
    attribute_order(db.session(), row, DEFAULT_WINDOWS, at)
    db.session.commit()
    return row


def test_a_shop_with_no_activity_reports_zeros_for_every_day(shop):
    report = shop_report(shop.id, DAY, DAY + timedelta(days=2))

    assert report.totals == Totals()
    assert [row.day for row in report.per_day] == [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]
    assert report.per_flow == []
    assert report.currency == "USD"


def test_each_figure_counts_messages_once(shop, jane):
    message = send(shop, jane, NOON)
    events(
        message,
        ("delivered", NOON + timedelta(minutes=1)),
        ("opened", NOON + timedelta(minutes=5)),
        ("opened", NOON + timedelta(minutes=9)),
        ("clicked", NOON + timedelta(minutes=10)),
    )

    totals = shop_report(shop.id, DAY, DAY).totals

    assert (totals.sent, totals.delivered, totals.opened, totals.clicked) == (1, 1, 1, 1)


def test_bounces_drops_complaints_and_unsubscribes_are_counted(shop, jane):
    bounced, dropped, complained = (send(shop, jane, NOON, step_index=n) for n in (1, 3, 5))
    events(bounced, ("bounced", NOON))
    events(dropped, ("dropped", NOON))
    events(complained, ("complained", NOON), ("unsubscribed", NOON))

    totals = shop_report(shop.id, DAY, DAY).totals

    assert (totals.bounced, totals.complained, totals.unsubscribed) == (2, 1, 1)


def test_conversions_and_revenue_come_from_credited_orders(shop, jane):
    message = send(shop, jane, NOON)
    events(message, ("clicked", NOON + timedelta(minutes=10)))
    order(shop, jane, NOON + timedelta(hours=1), "120.50", platform_id="1")
    order(shop, jane, NOON + timedelta(hours=2), "30.00", platform_id="2")

    totals = shop_report(shop.id, DAY, DAY).totals

    assert (totals.converted, totals.revenue) == (2, Decimal("150.50"))


def test_an_order_cancelled_since_no_longer_counts(shop, jane):
    message = send(shop, jane, NOON)
    events(message, ("clicked", NOON))
    order(shop, jane, NOON + timedelta(hours=1), "99.00", cancelled=True)

    totals = shop_report(shop.id, DAY, DAY).totals

    assert (totals.converted, totals.revenue) == (0, Decimal("0"))


def test_figures_are_split_per_flow_and_per_channel(shop, jane):
    send(shop, jane, NOON, flow_key="abandoned_checkout", step_index=1)
    sms = send(shop, jane, NOON, flow_key="abandoned_checkout", step_index=3, channel="sms")
    send(shop, jane, NOON, flow_key="thank_you", step_index=1)
    events(sms, ("clicked", NOON + timedelta(minutes=1)))
    order(shop, jane, NOON + timedelta(hours=1), "50.00")

    report = shop_report(shop.id, DAY, DAY)

    assert report.per_flow == [
        FlowTotals("abandoned_checkout", Totals(sent=2, clicked=1, converted=1, revenue=Decimal("50.00"))),
        FlowTotals("thank_you", Totals(sent=1)),
    ]
    assert report.per_channel == [
        ChannelTotals("email", Totals(sent=2)),
        ChannelTotals("sms", Totals(sent=1, clicked=1, converted=1, revenue=Decimal("50.00"))),
    ]
    assert [(s.flow_key, s.step_index, s.channel, s.template) for s in report.per_step] == [
        ("abandoned_checkout", 1, "email", "abandoned_checkout_1"),
        ("abandoned_checkout", 3, "sms", "abandoned_checkout_3"),
        ("thank_you", 1, "email", "thank_you_1"),
    ]


def test_steps_are_split_per_variant(shop, jane):
    for variant in ("a", "b", "b"):
        send(shop, jane, NOON, variant=variant)

    report = shop_report(shop.id, DAY, DAY)

    assert [(s.variant, s.totals.sent) for s in report.per_step] == [("a", 1), ("b", 2)]


def test_days_are_the_shops_days(shop, jane):
    # 03:00 UTC on the 27th is still the evening of the 26th in New York
    send(shop, jane, datetime(2026, 11, 27, 3, 0, tzinfo=UTC))
    send(shop, jane, datetime(2026, 11, 27, 6, 0, tzinfo=UTC))

    report = shop_report(shop.id, DAY, DAY + timedelta(days=1))

    assert [(row.day, row.totals.sent) for row in report.per_day] == [(DAY, 1), (DAY + timedelta(days=1), 1)]


def test_activity_outside_the_period_is_left_out(shop, jane):
    send(shop, jane, NOON - timedelta(days=3))
    send(shop, jane, NOON + timedelta(days=3))

    assert shop_report(shop.id, DAY, DAY).totals.sent == 0


def test_another_shops_activity_is_never_counted(shop, jane, factory):
    other = factory.shop(domain="other-shop.myshopify.com")
    stranger = factory.contact(other, email="jane@example.com")
    send(other, stranger, NOON)

    assert shop_report(shop.id, DAY, DAY).totals.sent == 0


# --- the JSON API --------------------------------------------------------------------------------


def signed_in(client, shop) -> None:
    with client.session_transaction() as session:
        session["shop_id"] = shop.id


def test_the_api_reports_the_signed_in_shop(app, client, shop, jane, factory, clock):
    message = send(shop, jane, NOON)
    events(message, ("clicked", NOON))
    order(shop, jane, NOON + timedelta(hours=1), "12.34")
    other = factory.shop(domain="other-shop.myshopify.com")
    send(other, factory.contact(other, email="x@example.com"), NOON)
    signed_in(client, shop)

    response = client.get("/admin/api/reports?start=2026-11-26&end=2026-11-27")

    assert response.status_code == 200
    body = response.json
    assert (body["start"], body["end"], body["currency"]) == ("2026-11-26", "2026-11-27", "USD")
    assert body["totals"] == {
        "sent": 1,
        "delivered": 0,
        "opened": 0,
        "clicked": 1,
        "bounced": 0,
        "unsubscribed": 0,
        "converted": 1,
        "revenue": "12.34",
        "complained": 0,
    }
    assert [(d["day"], d["sent"]) for d in body["per_day"]] == [("2026-11-26", 1), ("2026-11-27", 0)]
    assert [f["flow_key"] for f in body["per_flow"]] == ["abandoned_checkout"]
    assert body["per_step"][0]["variant"] is None
    assert body["per_channel"][0]["channel"] == "email"


def test_without_dates_the_api_reports_the_last_30_days(app, client, shop):
    signed_in(client, shop)

    body = client.get("/admin/api/reports").json

    assert (body["start"], body["end"]) == ("2026-10-28", "2026-11-26")
    assert len(body["per_day"]) == 30


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-13-01&end=2026-12-31",
        "start=26-11-2026&end=2026-11-27",
        "start=2026-11-27&end=2026-11-26",
        "start=2025-11-25&end=2026-11-26",
        "start=yesterday",
    ],
)
def test_the_api_refuses_bad_periods(app, client, shop, query):
    signed_in(client, shop)

    response = client.get(f"/admin/api/reports?{query}")

    assert response.status_code == 400
    assert "error" in response.json


def test_a_whole_leap_year_is_a_period_the_api_accepts(app, client, shop):
    signed_in(client, shop)

    assert client.get("/admin/api/reports?start=2028-01-01&end=2028-12-31").status_code == 200


def test_the_api_needs_a_signed_in_shop(app, client, shop):
    assert client.get("/admin/api/reports").status_code == 401
