"""What the flows sent, as the flow tests assert it: flow, channel, template and when, in send order."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from app.db import db
from app.db.models import Message
from app.db.models.messaging import AFTER_SEND, SENT

Sent = tuple[str, str, str, timedelta]


def sent(app: Flask, start: datetime) -> list[Sent]:
    """Return (flow, channel, template, time since ``start``) of every message sent, in send order."""
    with app.app_context():
        messages = db.session.scalars(
            select(Message)
            .where(Message.status.in_([SENT, *AFTER_SEND]))
            .order_by(Message.sent_at, Message.id)
        )
        return [(m.flow_key, m.channel, m.template, m.sent_at - start) for m in messages if m.sent_at]


def not_sent(app: Flask) -> list[tuple[str, str, str, str | None]]:
    """Return (flow, template, status, why) of every message that did not go out."""
    with app.app_context():
        messages = db.session.scalars(
            select(Message).where(Message.status.not_in([SENT, *AFTER_SEND])).order_by(Message.id)
        )
        return [(m.flow_key, m.template, m.status, m.detail) for m in messages]


def bodies(app: Flask, template: str) -> list[Message]:
    """Return the messages rendered from one template, detached, for their content."""
    with app.app_context():
        found = list(db.session.scalars(select(Message).filter_by(template=template).order_by(Message.id)))
        db.session.expunge_all()
        return found
