"""The flow simulator: the real engine on a virtual clock, in a transaction that is rolled back,
shows what a flow would send, defer and skip for a synthetic or real shopper, and keeps nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import func, select

from app.db import db
from app.db.models import (
    Checkout,
    Contact,
    DiscountCode,
    Enrollment,
    FlowSetting,
    Message,
    Order,
    Suppression,
)
from app.jobs.platforms import platforms_of
from app.simulation.errors import SimulationError
from app.simulation.run import simulate
from app.simulation.timeline import timeline_text
from tests.support.admin import log_in

COUNTED = (Contact, Checkout, Order, Enrollment, Message, FlowSetting, DiscountCode)
# 07:00 in New York.
MORNING = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(clock):
    clock.advance(MORNING - clock.now())
    return clock


@pytest.fixture
def shop(factory):
    return factory.shop(timezone="America/New_York")


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED
        }


def run(app, shop, flow_key: str, **options):
    with app.app_context():
        services = app.extensions["storeflow"]
        platforms = platforms_of(services)
        return simulate(
            db.engine, services.config, platforms, shop.id, flow_key, services.clock.now(), **options
        )


def lines(simulation, *kinds: str) -> list[tuple[timedelta, str, str, str]]:
    return [
        (entry.at - simulation.start, entry.kind, entry.what, entry.detail)
        for entry in simulation.entries
        if entry.kind in kinds
    ]


def test_a_synthetic_shopper_gets_every_message_at_its_time(app, shop):
    simulation = run(app, shop, "abandoned_checkout")

    assert [(offset, what) for offset, _, what, _ in lines(simulation, "sent")] == [
        (timedelta(hours=1), "First reminder email [email: abandoned_checkout_1]"),
        (timedelta(hours=4), "SMS reminder (only with SMS consent) [sms: abandoned_checkout_sms]"),
        (timedelta(hours=24), "Last reminder email [email: abandoned_checkout_2]"),
    ]
    assert simulation.entries[-1].kind == "completed"


@pytest.mark.parametrize("trigger", ["order.placed", "order.paid"])
def test_a_flow_started_by_the_trigger_the_shop_chose_is_simulated_from_it(app, factory, shop, trigger):
    factory.enable(shop, "thank_you", thank_you={"params": {"trigger": trigger}})

    simulation = run(app, shop, "thank_you")

    assert lines(simulation, "event")[0][2] == trigger
    assert [what for _, _, what, _ in lines(simulation, "sent")] == [
        "First-purchase thank-you [email: thank_you]"
    ]


def test_an_sms_due_in_quiet_hours_is_shown_deferred_with_the_reason(app, shop):
    simulation = run(app, shop, "abandoned_checkout", scenario="evening")

    ((offset, _, what, why),) = lines(simulation, "deferred")
    assert offset == timedelta(hours=4)
    assert what.startswith("SMS reminder")
    assert why == "quiet hours (21:00-08:00 America/New_York): deferred to 08:00"
    sms_sent = [o for o, _, w, _ in lines(simulation, "sent") if w.startswith("SMS")]
    assert sms_sent == [timedelta(hours=13)]


def test_a_step_the_shopper_cannot_receive_is_shown_skipped_with_the_reason(app, shop):
    simulation = run(app, shop, "abandoned_checkout", scenario="email_only")

    assert lines(simulation, "skipped") == [
        (
            timedelta(hours=4),
            "skipped",
            "SMS reminder (only with SMS consent) [sms: abandoned_checkout_sms]",
            "no sms marketing consent (never given)",
        ),
        (
            timedelta(days=1),
            "skipped",
            "Web push (only to shoppers who allowed notifications)",
            "step switched off",
        ),
    ]
    assert simulation.count("sent") == 2


def test_a_step_switched_off_or_held_by_its_condition_is_shown_skipped(app, factory, shop):
    factory.enable(
        shop,
        "abandoned_checkout",
        abandoned_checkout={"steps": {"sms": False}, "conditions": {"second_email": "order_count >= 3"}},
    )

    simulation = run(app, shop, "abandoned_checkout")

    assert [(what, why) for _, _, what, why in lines(simulation, "skipped")] == [
        ("SMS reminder (only with SMS consent)", "step switched off"),
        ("Last reminder email", "condition does not hold: order_count >= 3"),
        ("Web push (only to shoppers who allowed notifications)", "step switched off"),
    ]


def test_an_order_ends_the_flow_in_the_timeline(app, shop):
    simulation = run(app, shop, "abandoned_checkout", scenario="orders")

    assert simulation.count("sent") == 1
    exited = lines(simulation, "exited")
    assert [(offset, kind) for offset, kind, _, _ in exited] == [(timedelta(hours=2), "exited")]
    assert exited[0][3].startswith("order.placed")


def test_the_simulation_writes_nothing_and_sends_nothing(app, factory, shop, caplog):
    factory.enable(shop, "welcome_series", welcome_series={"params": {"discount": True}})
    before = row_counts(app)

    with caplog.at_level(logging.INFO, logger="storeflow.outbox"):
        simulation = run(app, shop, "welcome_series")

    assert simulation.count("sent") >= 2
    assert row_counts(app) == before
    assert [r for r in caplog.records if r.name == "storeflow.outbox"] == []


def test_a_real_contact_is_simulated_with_their_own_history(app, factory, shop, clock):
    ann = factory.contact(
        shop,
        email="ann@example.com",
        phone="+16135550101",
        email_consent="subscribed",
        sms_consent="subscribed",
    )
    with app.app_context():
        db.session.add(
            Checkout(
                shop_id=shop.id,
                token="tok-1",
                contact_id=ann.id,
                email=ann.email,
                recovery_url="https://demo.example/recover",
                total_price=Decimal("20.00"),
                source_created_at=clock.now(),
            )
        )
        db.session.add(Suppression(shop_id=shop.id, channel="sms", address="+16135550101", reason="STOP"))
        db.session.commit()
    before = row_counts(app)

    simulation = run(app, shop, "abandoned_checkout", email="ANN@example.com")

    assert "ann@example.com (real contact" in simulation.shopper
    assert lines(simulation, "event")[0][3] == "checkout:tok-1"
    assert [why for _, _, _, why in lines(simulation, "skipped")] == [
        "address suppressed (STOP)",
        "step switched off",  # the web push step, off until the merchant switches it on
    ]
    assert row_counts(app) == before


def test_an_unknown_contact_or_scenario_is_refused(app, shop):
    with pytest.raises(SimulationError, match=r"no contact with email 'nobody@example\.com'"):
        run(app, shop, "abandoned_checkout", email="nobody@example.com")
    with pytest.raises(SimulationError, match=r"no scenario 'party'; choose one of engaged"):
        run(app, shop, "abandoned_checkout", scenario="party")


def test_the_timeline_reads_as_text(app, shop):
    text = "\n".join(timeline_text(run(app, shop, "abandoned_checkout", scenario="email_only")))

    assert "Abandoned checkout recovery is switched off in this shop; simulated as if it were on." in text
    assert " +0d 01:00  sent      First reminder email [email: abandoned_checkout_1]" in text
    assert " +0d 04:00  skipped   SMS reminder" in text
    assert "would be: 2 sent, 0 deferred, 2 skipped" in text


def test_the_cli_prints_the_timeline(app, shop):
    before = row_counts(app)

    result = app.test_cli_runner().invoke(
        args=[
            "storeflow",
            "simulate",
            "--shop",
            shop.domain,
            "--flow",
            "abandoned_checkout",
            "--scenario",
            "evening",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "Simulating Abandoned checkout recovery for synthetic: evening" in result.output
    assert (
        "deferred  SMS reminder (only with SMS consent) [sms: abandoned_checkout_sms] — quiet hours"
        in result.output
    )
    assert "would be: 3 sent, 1 deferred, 1 skipped" in result.output
    assert row_counts(app) == before


def test_the_cli_refuses_an_unknown_flow_clearly(app, shop):
    result = app.test_cli_runner().invoke(
        args=["storeflow", "simulate", "--shop", shop.domain, "--flow", "nope"]
    )

    assert result.exit_code == 1
    assert "Error: no flow 'nope'" in result.output


def test_the_flow_page_simulates_a_scenario(app, client, shop):
    csrf = log_in(client, shop.id)
    assert (
        'action="/admin/flows/abandoned_checkout/simulate"'
        in client.get("/admin/flows/abandoned_checkout").text
    )

    response = client.post(
        "/admin/flows/abandoned_checkout/simulate", data={"csrf_token": csrf, "scenario": "email_only"}
    )

    page = unescape(response.text)
    assert response.status_code == 200
    assert "Nothing was sent and nothing was kept" in page
    assert "Would be: 2 sent, 0 deferred, 2 skipped." in page
    assert "no sms marketing consent (never given)" in page


def test_the_flow_page_refuses_an_unknown_contact_with_400(client, shop):
    csrf = log_in(client, shop.id)

    response = client.post(
        "/admin/flows/abandoned_checkout/simulate", data={"csrf_token": csrf, "contact": "ghost@example.com"}
    )

    assert response.status_code == 400
    assert "no contact with email 'ghost@example.com' in this shop" in unescape(response.text)


def test_a_simulation_needs_the_csrf_token(client, shop):
    log_in(client, shop.id)

    response = client.post("/admin/flows/abandoned_checkout/simulate", data={"scenario": "engaged"})

    assert response.status_code == 400
    assert "This form has expired" in response.text


def test_a_real_contact_the_flow_would_not_enroll_is_told_why(app, factory, shop, clock):
    bob = factory.contact(shop, email="bob@example.com", email_consent="subscribed")
    with app.app_context():
        db.session.add(
            Checkout(
                shop_id=shop.id,
                token="tok-2",
                contact_id=bob.id,
                recovery_url="https://demo.example/recover",
                source_created_at=clock.now() - timedelta(hours=3),
            )
        )
        db.session.add(Order(shop_id=shop.id, platform_id="5001", contact_id=bob.id, placed_at=clock.now()))
        db.session.commit()

    simulation = run(app, shop, "abandoned_checkout", email="bob@example.com")

    assert lines(simulation, "skipped") == [
        (
            timedelta(0),
            "skipped",
            "Abandoned checkout recovery",
            "not enrolled: shopper placed order 5001 since",
        )
    ]
