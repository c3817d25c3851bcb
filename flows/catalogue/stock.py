"""Catalogue alerts: back in stock, price drop, low stock, for products a shopper showed interest in.

Product changes come from the platforms (Shopify ``products/update`` and
``inventory_levels/update``; Saleor product and variant events). Interested shoppers are told in
batches (``batch_size`` every ``batch_minutes``), each batch only while the news still holds.
"""

from __future__ import annotations

from datetime import timedelta

from app.core.events import EventKind
from flows.catalogue.common import UNSUBSCRIBED, batches, push, smart_sending, sms
from flows.definitions import Flow, Goal, Param, ParamKind, Purpose, Send, Wait


def lookback(days: int) -> Param:
    return Param(
        "lookback_days",
        "Count interest shown in the last (days)",
        ParamKind.NUMBER,
        days,
        minimum=1,
        maximum=180,
    )


BACK_IN_STOCK = Flow(
    key="back_in_stock",
    name="Back in stock",
    description=(
        "Tells shoppers who asked (the “notify me when available” form) that the product is back. "
        "On by default: the shopper asked for exactly this message."
    ),
    theme="Catalogue alerts",
    goal=Goal.CONVERT,
    subject="alert",
    purpose=Purpose.REQUESTED,
    triggers=(EventKind.PRODUCT_BACK_IN_STOCK,),
    guard="still_in_stock",
    blocks=("alert",),
    enabled_by_default=True,
    steps=(
        Wait("delay", timedelta(0), "Wait after the restock", minimum=timedelta(0)),
        Send("email", "email", "back_in_stock", "Back-in-stock email"),
        push("back_in_stock_push"),
        sms("back_in_stock_sms"),
    ),
    params=batches(50),
)

PRICE_DROP = Flow(
    key="price_drop",
    name="Price drop",
    description="Tells shoppers who viewed, wished for or carted a product that its price went down.",
    theme="Catalogue alerts",
    goal=Goal.CONVERT,
    subject="alert",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.PRODUCT_PRICE_DROPPED,),
    exit_on=(UNSUBSCRIBED,),
    guard="price_still_lower",
    blocks=("alert",),
    steps=(
        Wait("delay", timedelta(0), "Wait after the price change", minimum=timedelta(0)),
        Send("email", "email", "price_drop", "Price-drop email"),
        push("price_drop_push"),
        sms("price_drop_sms"),
    ),
    params=(
        Param(
            "min_drop_percent",
            "Smallest drop worth telling (percent)",
            ParamKind.NUMBER,
            5,
            minimum=1,
            maximum=90,
        ),
        lookback(30),
        *batches(200),
        smart_sending(),
    ),
)

LOW_STOCK = Flow(
    key="low_stock",
    name="Low stock",
    description="Tells shoppers who wished for or carted a product that only a few are left.",
    theme="Catalogue alerts",
    goal=Goal.CONVERT,
    subject="alert",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.PRODUCT_LOW_STOCK,),
    exit_on=(UNSUBSCRIBED,),
    guard="still_in_stock",
    blocks=("alert",),
    steps=(
        Wait("delay", timedelta(0), "Wait after stock runs low", minimum=timedelta(0)),
        Send("email", "email", "low_stock", "Low-stock email"),
        push("low_stock_push"),
        sms("low_stock_sms"),
    ),
    params=(
        Param(
            "threshold",
            "Low stock means at most (units)",
            ParamKind.NUMBER,
            5,
            minimum=1,
            maximum=1000,
        ),
        lookback(30),
        *batches(200),
        smart_sending(),
    ),
)

FLOWS = (BACK_IN_STOCK, PRICE_DROP, LOW_STOCK)
