"""A message's status only moves forward: providers report late, twice and out of order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.db.models import Message

AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def message(status: str) -> Message:
    return Message(status=status, timeline=[{"status": status, "at": AT.isoformat()}])


@pytest.mark.parametrize(
    ("current", "reported"),
    [
        ("sent", "delivered"),
        ("delivered", "opened"),
        ("opened", "clicked"),
        ("clicked", "unsubscribed"),
        ("delivered", "bounced"),
        ("failed", "delivered"),
    ],
)
def test_news_that_moves_the_message_on_is_recorded(current, reported):
    row = message(current)

    assert row.advance(reported, AT, "detail") is True
    assert row.status == reported
    assert row.timeline[-1] == {"status": reported, "at": AT.isoformat(), "detail": "detail"}


@pytest.mark.parametrize(
    ("current", "reported"),
    [
        ("opened", "delivered"),
        ("clicked", "opened"),
        ("opened", "opened"),
        ("bounced", "delivered"),
        ("unsubscribed", "clicked"),
        ("bounced", "dropped"),
    ],
)
def test_news_that_would_move_it_back_changes_nothing(current, reported):
    row = message(current)

    assert row.advance(reported, AT) is False
    assert (row.status, len(row.timeline)) == (current, 1)


@pytest.mark.parametrize("current", ["pending", "sending", "skipped"])
def test_a_message_not_yet_sent_is_left_to_its_sender(current):
    row = message(current)

    assert row.advance("delivered", AT) is False
    assert row.status == current
