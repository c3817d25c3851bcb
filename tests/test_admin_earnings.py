"""What it earned, at a glance: a chosen period against the one before, flows grouped by goal, and
the orders each message earned."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from app.db.models import Attribution, Order
from app.web.admin.period import MINUS, Delta
from flows.catalogue import CATALOGUE
from flows.definitions import Goal
from tests.support.admin import private_message
from tests.test_admin import log_in


@pytest.fixture
def shop(factory):
    return factory.shop(name="Alpha Goods")


def credit(factory, message, revenue: str, days_ago: int, name: str, cancelled: bool = False) -> Order:
    """An order placed ``days_ago`` and credited to ``message``."""
    placed = factory.clock.now() - timedelta(days=days_ago)
    order = Order(
        shop_id=message.shop_id,
        platform_id=str(5778367414000 + days_ago),
        name=name,
        contact_id=message.contact_id,
        currency="USD",
        total_price=Decimal(revenue),
        placed_at=placed,
        cancelled_at=placed if cancelled else None,
    )
    factory.session.add(order)
    factory.session.flush()
    factory.session.add(
        Attribution(
            shop_id=message.shop_id,
            order_id=order.id,
            message_id=message.id,
            flow_key=message.flow_key,
            step_index=message.step_index,
            channel=message.channel,
            touch="click",
            touched_at=placed,
            placed_at=placed,
            revenue=Decimal(revenue),
            currency="USD",
        )
    )
    factory.session.commit()
    return order


def metric_delta(page: str, metric: str) -> str:
    block = re.search(rf'data-metric="{metric}">.*?data-delta>([^<]+)<', page, re.S)
    assert block, metric
    return block.group(1)


def test_the_overview_compares_the_period_with_the_one_before(client, factory, shop):
    message = private_message(factory, shop)
    credit(factory, message, "150.00", days_ago=3, name="#1003")
    credit(factory, message, "100.00", days_ago=35, name="#1001")
    log_in(client, shop.id)

    page = client.get("/admin").text

    assert "Last 30 days" in page
    assert "compared with the 30 days before" in page
    assert metric_delta(page, "revenue") == "+50%"


def test_a_preset_in_the_url_chooses_the_period(client, factory, shop):
    message = private_message(factory, shop)
    credit(factory, message, "80.00", days_ago=10, name="#1002")
    log_in(client, shop.id)

    page = client.get("/admin?days=7").text

    assert "Last 7 days" in page
    assert 'aria-current="true">7 days</a>' in page
    assert metric_delta(page, "revenue") == f"{MINUS}100%"


def test_a_custom_range_in_the_url_chooses_the_period(client, shop):
    log_in(client, shop.id)

    page = client.get("/admin?from=2026-01-01&to=2026-01-14").text

    assert "14 days" in page
    assert 'value="2026-01-01"' in page and 'value="2026-01-14"' in page


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("from=2026-02-01&to=2026-01-01", "from must be on or before to"),
        ("from=2026-13-01&to=2026-01-01", "from must be a date"),
        ("from=2020-01-01&to=2026-01-01", "at most 366 days"),
        ("to=2026-01-01", "from must be a date"),
    ],
)
def test_a_range_that_is_not_one_is_refused_with_the_reason(client, shop, query, reason):
    log_in(client, shop.id)

    response = client.get(f"/admin?{query}")

    assert response.status_code == 400
    assert reason in response.text


def test_the_flow_page_shows_its_figures_for_the_period_against_the_one_before(client, factory, shop):
    message = private_message(factory, shop)
    credit(factory, message, "40.00", days_ago=2, name="#1004")
    log_in(client, shop.id)

    page = client.get("/admin/flows/thank_you?days=90").text

    assert "Last 90 days" in page
    assert "against the 90 days before" in page
    assert '40.00 <span class="delta up" data-delta>new<' in page


@pytest.mark.parametrize(
    ("current", "previous", "change"),
    [
        (150, 100, "+50%"),
        (50, 100, f"{MINUS}50%"),
        (5, 0, "new"),
        (0, 0, "no change"),
        (Decimal("10"), Decimal("10"), "no change"),
    ],
)
def test_a_delta_reads_as_a_whole_percentage(current, previous, change):
    assert Delta(current, previous).change == change


def test_every_catalogue_flow_has_a_goal_and_every_goal_has_flows():
    assert all(isinstance(flow.goal, Goal) for flow in CATALOGUE.values())
    assert {flow.goal for flow in CATALOGUE.values()} == set(Goal)


def test_the_flows_page_groups_the_flows_by_goal(client, shop):
    log_in(client, shop.id)

    page = client.get("/admin/flows").text

    headings = re.findall(r'<section class="flow-group" aria-labelledby="goal-(\w+)"', page)
    assert headings == ["recover", "convert", "retain", "grow"]
    recover = page.split('id="goal-recover"')[1].split('class="flow-group"')[0]
    assert 'data-flow="abandoned_checkout"' in recover
    assert 'data-flow="thank_you"' not in recover


def flow_card_revenue(page: str, flow_key: str) -> str:
    card = page.split(f'data-flow="{flow_key}"')[1].split('class="card flow-card"')[0]
    figure = re.search(r"<dt class=\"k\">Revenue</dt><dd[^>]*>([^<]+)<", card)
    assert figure, flow_key
    return figure.group(1)


def test_the_flow_cards_show_the_figures_of_the_period_chosen(client, factory, shop):
    message = private_message(factory, shop)
    credit(factory, message, "80.00", days_ago=10, name="#1002")
    log_in(client, shop.id)

    week = client.get("/admin/flows?days=7").text
    quarter = client.get("/admin/flows?days=90").text

    assert 'aria-current="true">7 days</a>' in week
    assert flow_card_revenue(week, "thank_you") == "$0.00"
    assert flow_card_revenue(quarter, "thank_you") == "$80.00"


def test_the_flow_cards_show_the_last_30_days_unless_the_url_chooses(client, factory, shop):
    message = private_message(factory, shop)
    credit(factory, message, "80.00", days_ago=40, name="#1001")
    log_in(client, shop.id)

    page = client.get("/admin/flows").text

    assert "last 30 days" in page
    assert flow_card_revenue(page, "thank_you") == "$0.00"


def test_the_flow_cards_refuse_a_range_that_is_not_one(client, shop):
    log_in(client, shop.id)

    response = client.get("/admin/flows?from=2026-02-01&to=2026-01-01")

    assert response.status_code == 400
    assert "from must be on or before to" in response.text


def test_the_message_page_shows_the_order_it_earned_with_a_link(client, factory, shop):
    message = private_message(factory, shop)
    order = credit(factory, message, "64.50", days_ago=1, name="#1042")
    log_in(client, shop.id)

    page = client.get(f"/admin/messages/{message.id}").text

    assert "Order #1042" in page
    assert f'href="https://{shop.domain}/admin/orders/{order.platform_id}"' in page
    assert "$64.50" in page


def test_a_cancelled_order_is_listed_but_not_counted(client, factory, shop):
    message = private_message(factory, shop)
    credit(factory, message, "20.00", days_ago=1, name="#1050")
    credit(factory, message, "99.00", days_ago=2, name="#1049", cancelled=True)
    log_in(client, shop.id)

    page = client.get(f"/admin/messages/{message.id}").text

    assert re.search(r"data-earned-revenue>\$20\.00<", page)
    assert "Cancelled, not counted" in page


def test_a_message_that_earned_nothing_says_so(client, factory, shop):
    message = private_message(factory, shop)
    log_in(client, shop.id)

    page = client.get(f"/admin/messages/{message.id}").text

    assert "No order credited to this message" in page
