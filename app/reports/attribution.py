"""Credit an order to the message that brought the shopper back: last touch inside a window.

The rule (the industry's, PLATFORMS.md): the most recent message the contact clicked within
``ATTRIBUTION_CLICK_WINDOW_HOURS`` before the order was placed (default 5 days, as Klaviyo); failing
a click, and only if ``ATTRIBUTION_OPEN_WINDOW_HOURS`` is set, the most recent message they opened
within that shorter window. Any flow's message counts, transactional ones included. An order is
credited once: the ``attribution`` row is unique per order, so a redelivered or a paid-after-placed
webhook finds it there. An order with no known contact, or no touch in the window, earns no credit;
a later event about the same order (say, paid) tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.config import Config
from app.db.models import Attribution, Message, MessageEvent, Order
from app.db.models.attribution import CLICK, OPEN
from app.db.models.messaging import CLICKED, OPENED

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Windows:
    """How long before an order a click, or an open, still earns the credit (zero: never)."""

    click: timedelta
    open: timedelta

    @classmethod
    def from_config(cls, config: Config) -> Windows:
        return cls(
            click=timedelta(hours=config.attribution_click_window_hours),
            open=timedelta(hours=config.attribution_open_window_hours),
        )


DEFAULT_WINDOWS = Windows(click=timedelta(days=5), open=timedelta(0))


def attribute_order(session: Session, order: Order, windows: Windows, now: datetime) -> Attribution | None:
    """Credit the order to the last message clicked (or opened) in the window; None when nothing earned it."""
    existing = session.scalars(select(Attribution).filter_by(order_id=order.id)).first()
    if existing is not None or order.contact_id is None:
        return existing
    placed_at = order.placed_at or now
    touch = _last_touch(session, order, CLICKED, windows.click, placed_at) or _last_touch(
        session, order, OPENED, windows.open, placed_at
    )
    if touch is None:
        return None
    message, touched_at, kind = touch
    attribution = Attribution(
        shop_id=order.shop_id,
        order_id=order.id,
        message_id=message.id,
        flow_key=message.flow_key,
        step_index=message.step_index,
        channel=message.channel,
        variant=message.variant,
        touch=CLICK if kind == CLICKED else OPEN,
        touched_at=touched_at,
        placed_at=placed_at,
        revenue=order.total_price or Decimal("0"),
        currency=order.currency,
    )
    try:
        with session.begin_nested():
            session.add(attribution)
    except IntegrityError:  # a concurrent worker credited it first
        return session.scalars(select(Attribution).filter_by(order_id=order.id)).one()
    log.info(
        "order %s credited to %s step %d (%s at %s)",
        order.platform_id,
        message.flow_key,
        message.step_index,
        attribution.touch,
        touched_at,
    )
    return attribution


def _last_touch(
    session: Session, order: Order, kind: str, window: timedelta, placed_at: datetime
) -> tuple[Message, datetime, str] | None:
    if window <= timedelta(0):
        return None
    row = session.execute(
        select(Message, MessageEvent.occurred_at)
        .join(MessageEvent, MessageEvent.message_id == Message.id)
        .where(
            Message.shop_id == order.shop_id,
            Message.contact_id == order.contact_id,
            MessageEvent.kind == kind,
            MessageEvent.occurred_at <= placed_at,
            MessageEvent.occurred_at >= placed_at - window,
        )
        .order_by(MessageEvent.occurred_at.desc(), MessageEvent.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1], kind) if row is not None else None
