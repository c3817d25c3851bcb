"""A/B tests' figures per variant, their chances of being best, and the winners they declare.

Figures count the step's messages since the test started: sent, opened, clicked, placed orders
(credited to the message, not cancelled) and revenue. The metric's successes are the messages
clicked, or the messages with at least one placed order, so each is a yes/no per message sent, as
the Beta-binomial rule (flows/ab_rule.py) needs. Three grouped queries per test, whatever the
number of sends: the decision runs on the calendar tick (app/jobs/tasks.py), never per send.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from app.db.models import Attribution, FlowSetting, Message, MessageEvent, Order, Shop
from app.db.models.messaging import CLICKED, OPENED
from flows.ab import CLICKS, TESTS_KEY, ABTest
from flows.ab_rule import Arm, Verdict, verdict
from flows.catalogue import CATALOGUE
from flows.definitions import Flow, Send
from flows.settings import settings_for_shop

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VariantFigures:
    """One variant's results since its test started, and its chance of being best."""

    name: str
    share: int
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    ordered: int = 0  # messages with a placed order
    orders: int = 0
    revenue: Decimal = Decimal("0")
    chance: float = 0.0


@dataclass(frozen=True)
class ABReport:
    """A step's test as the flow page shows it: each variant's figures and where the rule stands."""

    test: ABTest
    variants: tuple[VariantFigures, ...]
    verdict: Verdict

    @property
    def status(self) -> str:
        return "winner chosen" if self.test.winner else "running"


def step_index(flow: Flow, step: Send) -> int:
    return flow.steps.index(step)


def ab_report(session: Session, shop_id: int, flow: Flow, step: Send, test: ABTest) -> ABReport:
    """Count each variant's results since the test started, and apply the winner rule to them."""
    index = step_index(flow, step)
    counts: dict[str, dict[str, Any]] = {variant.name or "": {} for variant in test.variants}
    sent = select(Message.variant, func.count()).where(
        Message.shop_id == shop_id,
        Message.flow_key == flow.key,
        Message.step_index == index,
        Message.sent_at.is_not(None),
    )
    if test.started_at is not None:
        sent = sent.where(Message.sent_at >= test.started_at)
    for variant, count in session.execute(sent.group_by(Message.variant)):
        counts.setdefault(variant or "", {})["sent"] = count
    events = (
        select(Message.variant, MessageEvent.kind, func.count(distinct(MessageEvent.message_id)))
        .join(Message, Message.id == MessageEvent.message_id)
        .where(
            MessageEvent.shop_id == shop_id,
            Message.flow_key == flow.key,
            Message.step_index == index,
            MessageEvent.kind.in_((OPENED, CLICKED)),
        )
    )
    if test.started_at is not None:
        events = events.where(Message.sent_at >= test.started_at)
    for variant, kind, count in session.execute(events.group_by(Message.variant, MessageEvent.kind)):
        counts.setdefault(variant or "", {})["clicked" if kind == CLICKED else "opened"] = count
    credited = (
        select(
            Attribution.variant,
            func.count(distinct(Attribution.message_id)),
            func.count(),
            func.coalesce(func.sum(Attribution.revenue), 0),
        )
        .join(Order, Order.id == Attribution.order_id)
        .where(
            Attribution.shop_id == shop_id,
            Attribution.flow_key == flow.key,
            Attribution.step_index == index,
            Order.cancelled_at.is_(None),
        )
    )
    if test.started_at is not None:
        credited = credited.where(Attribution.touched_at >= test.started_at)
    for variant, messages, orders, revenue in session.execute(credited.group_by(Attribution.variant)):
        counts.setdefault(variant or "", {}).update(ordered=messages, orders=orders, revenue=Decimal(revenue))
    arms = [
        Arm(
            variant.name or "",
            counts[variant.name or ""].get("sent", 0),
            counts[variant.name or ""].get("clicked" if test.metric == CLICKS else "ordered", 0),
        )
        for variant in test.variants
    ]
    ruled = verdict(arms, test.minimum_sample, test.threshold / 100)
    figures = tuple(
        VariantFigures(
            variant.name or "",
            variant.share,
            **counts[variant.name or ""],
            chance=ruled.chances[variant.name or ""],
        )
        for variant in test.variants
    )
    return ABReport(test, figures, ruled)


def decide_winners(session: Session, now: datetime) -> int:
    """Declare the winner of every running test whose figures pass its rule; return how many.

    The winner, when and why are stored on the test in the flow's settings, so the next message
    the step makes goes to the winner (``flows.ab.variant_for``). The caller commits.
    """
    decided = 0
    shops = session.scalars(
        select(Shop.id).where(Shop.installed_at.is_not(None), Shop.uninstalled_at.is_(None))
    )
    for shop_id in list(shops):
        for key, settings in settings_for_shop(session, shop_id).items():
            if not settings.enabled or not settings.ab_tests:
                continue
            flow = CATALOGUE[key]
            for step in flow.sends():
                test = settings.ab_tests.get(step.setting)
                if test is None or test.winner is not None:
                    continue
                ruled = ab_report(session, shop_id, flow, step, test).verdict
                if ruled.winner is not None:
                    _store(session, shop_id, flow, test.decided(ruled.winner, now, ruled.reason))
                    log.info(
                        "shop %s: %s %s A/B winner %s (%s)",
                        shop_id,
                        key,
                        step.setting,
                        ruled.winner,
                        ruled.reason,
                    )
                    decided += 1
    return decided


def _store(session: Session, shop_id: int, flow: Flow, test: ABTest) -> None:
    row = session.scalars(
        select(FlowSetting).where(FlowSetting.shop_id == shop_id, FlowSetting.flow_key == flow.key)
    ).first()
    if row is None:
        row = FlowSetting(shop_id=shop_id, flow_key=flow.key, enabled=flow.enabled_by_default, overrides={})
        session.add(row)
    overrides = dict(row.overrides or {})
    overrides[TESTS_KEY] = {**(overrides.get(TESTS_KEY) or {}), test.step: test.stored()}
    row.overrides = overrides
