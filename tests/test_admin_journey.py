"""The journey on the flow page: every node of the flow in order, each with its figures as text,
for the period the page's picker chose."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from app.db import db
from tests.support.db import watching_statements
from tests.support.messages import sent_message
from tests.test_admin import log_in


@pytest.fixture
def shop(factory):
    return factory.shop(name="Alpha Goods")


def journey_of(page: str) -> str:
    """The journey section of a flow page as a screen reader reads it: text, no tags, no icons."""
    section = re.search(r'<section class="card journey-card".*?</section>', page, re.S)
    assert section, "the flow page has no journey"
    spoken = re.sub(r'<span[^>]*aria-hidden="true">.*?</span>', " ", section.group(0))
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", spoken).split()))


def figure(text: str, label: str, after: str) -> str:
    """The value of the first figure called ``label`` after the words ``after``."""
    found = re.search(re.escape(after) + r".*?" + re.escape(label) + r" (\S+)", text)
    assert found, f"no {label} after {after!r}"
    return found.group(1)


def test_the_abandoned_checkout_journey_reads_from_trigger_to_exits(client, shop):
    log_in(client, shop.id)

    text = journey_of(client.get("/admin/flows/abandoned_checkout").text)

    order = [
        "Starts when a shopper starts a checkout",
        "Wait 1 hour",
        "First reminder email Email",
        "Wait 3 hours",
        "SMS reminder",
        "Wait 20 hours",
        "Last reminder email Email",
        "Flow ends",
        "Leaves early, at any step, when",
        "An order is placed from this checkout or cart",
    ]
    positions = [text.index(words) for words in order]
    assert positions == sorted(positions)


def test_each_node_shows_its_figures_as_text(client, factory, shop, clock):
    jane = factory.contact(shop, email="jane@example.com")
    factory.enrollment(shop, jane, "abandoned_checkout", step_index=3)
    sent_message(db.session, shop, jane, clock.now(), step_index=1)
    log_in(client, shop.id)

    text = journey_of(client.get("/admin/flows/abandoned_checkout").text)

    assert figure(text, "Entered", "Starts when") == "2"  # the message's own enrollment too
    assert figure(text, "Sent", "First reminder email") == "1"
    assert figure(text, "Waiting", "SMS reminder") == "1"
    assert figure(text, "Revenue", "First reminder email") == "$0.00"


def test_a_conditional_step_shows_its_yes_and_no_paths(client, shop):
    log_in(client, shop.id)

    text = journey_of(client.get("/admin/flows/thank_you").text)

    assert "Only when order_count <= 1 Waiting 0 Yes: the step runs First-purchase thank-you" in text
    assert "No: skips this step Goes on to the next step. Skipped 0" in text


def test_the_journey_follows_the_period_picker(client, factory, shop, clock):
    jane = factory.contact(shop, email="jane@example.com")
    factory.enrollment(shop, jane, "abandoned_checkout", started_at=clock.now() - timedelta(days=10))
    log_in(client, shop.id)

    week = journey_of(client.get("/admin/flows/abandoned_checkout?days=7").text)
    month = journey_of(client.get("/admin/flows/abandoned_checkout?days=30").text)

    assert "Figures for last 7 days" in week and figure(week, "Entered", "Starts when") == "0"
    assert "Figures for last 30 days" in month and figure(month, "Entered", "Starts when") == "1"


def test_the_journey_costs_the_flow_page_the_same_statements_however_many_shoppers(
    app, client, factory, shop, clock
):
    log_in(client, shop.id)

    def statements() -> int:
        """Statements of a second visit in a row (the first may reload rows the test's commits expired)."""
        client.get("/admin/flows/abandoned_checkout")
        with watching_statements(app) as sent:
            assert client.get("/admin/flows/abandoned_checkout").status_code == 200
        return len(sent.statements)

    few = statements()
    for n in range(20):
        contact = factory.contact(shop, email=f"shopper{n}@example.com")
        factory.enrollment(shop, contact, "abandoned_checkout", step_index=n % 7)
        sent_message(db.session, shop, contact, clock.now(), step_index=1)

    assert statements() == few
