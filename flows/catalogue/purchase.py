"""After a purchase: thank-you (first or repeat), cross-sell, review request, survey, tips, replenishment."""

from __future__ import annotations

from datetime import timedelta

from app.core.events import EventKind
from flows.catalogue.common import UNSUBSCRIBED, push, smart_sending, sms
from flows.definitions import TRIGGER_PARAM, ExitRule, Flow, Goal, Param, ParamKind, Purpose, Send, Wait

CANCELLED = ExitRule(EventKind.ORDER_CANCELLED)

THANK_WHEN = Param(
    TRIGGER_PARAM,
    "Send the thank-you",
    ParamKind.CHOICE,
    EventKind.ORDER_PAID.value,
    help=(
        "Placed thanks every order, paid or not (cash on delivery, bank transfer, a payment only "
        "authorised, an order the channel lets go unpaid); paid waits until the payment is in."
    ),
    choices=(
        (EventKind.ORDER_PLACED.value, "When the order is placed"),
        (EventKind.ORDER_PAID.value, "Once the order is paid"),
    ),
    # Saleor sends ORDER_FULLY_PAID only once an order is charged in full, which for authorised,
    # cash-on-delivery and allowed-unpaid orders can be days after it was placed, or never. Shopify
    # confirms every order itself and sends orders/paid moments after orders/create for card orders.
    platform_defaults=(("saleor", EventKind.ORDER_PLACED.value),),
)

THANK_YOU = Flow(
    key="thank_you",
    name="Thank-you after purchase",
    description=(
        "Thanks the buyer with an order summary when the order is placed or once it is paid, as you "
        "choose (placed on Saleor, paid on Shopify unless changed): a welcome for a first purchase, "
        "a welcome back for a repeat one. One thank-you per order, whichever order events arrive."
    ),
    theme="After purchase",
    goal=Goal.RETAIN,
    subject="order",
    purpose=Purpose.TRANSACTIONAL,
    triggers=(EventKind.ORDER_PLACED, EventKind.ORDER_PAID),
    exit_on=(CANCELLED,),
    guard="order_not_cancelled",
    entry="chosen_trigger",
    params=(THANK_WHEN,),
    steps=(
        Wait("delay", timedelta(minutes=5), "Wait after the order is placed or paid", minimum=timedelta(0)),
        Send("email", "email", "thank_you", "First-purchase thank-you", condition="order_count <= 1"),
        Send(
            "repeat_email",
            "email",
            "thank_you_repeat",
            "Repeat-purchase thank-you",
            condition="order_count > 1",
        ),
        push("thank_you_push"),
        sms("thank_you_sms"),
    ),
)

CROSS_SELL = Flow(
    key="cross_sell",
    name="Cross-sell and upsell",
    description="Suggests what other buyers of the same products bought with them, from your own orders.",
    theme="After purchase",
    goal=Goal.RETAIN,
    subject="order",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.ORDER_PAID,),
    exit_on=(CANCELLED, UNSUBSCRIBED),
    guard="order_not_cancelled",
    blocks=("related",),
    steps=(
        Wait("delay", timedelta(days=5), "Wait after payment", minimum=timedelta(hours=1)),
        Send("email", "email", "cross_sell", "Often bought together email", needs=("related",)),
        push("cross_sell_push", needs=("related",)),
        sms("cross_sell_sms", needs=("related",)),
    ),
    params=(smart_sending(),),
)

REVIEW_REQUEST = Flow(
    key="review_request",
    name="Review request",
    description="Asks for a product review a few days after the order is fulfilled.",
    theme="After purchase",
    goal=Goal.RETAIN,
    subject="order",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.ORDER_FULFILLED,),
    exit_on=(CANCELLED, UNSUBSCRIBED),
    guard="order_not_cancelled",
    steps=(
        Wait("delay", timedelta(days=7), "Wait after fulfilment", minimum=timedelta(hours=1)),
        Send("email", "email", "review_request", "Review request email"),
        push("review_request_push"),
        sms("review_request_sms"),
    ),
    params=(smart_sending(),),
)

POST_PURCHASE_SURVEY = Flow(
    key="post_purchase_survey",
    name="Post-purchase survey",
    description="Asks how the buying experience went, with a link to your survey.",
    theme="After purchase",
    goal=Goal.RETAIN,
    subject="order",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.ORDER_FULFILLED,),
    exit_on=(CANCELLED, UNSUBSCRIBED),
    guard="order_not_cancelled",
    steps=(
        Wait("delay", timedelta(days=3), "Wait after fulfilment", minimum=timedelta(hours=1)),
        Send("email", "email", "post_purchase_survey", "Survey email"),
        push("post_purchase_survey_push"),
        sms("post_purchase_survey_sms"),
    ),
    params=(
        Param(
            "survey_url",
            "Survey link",
            ParamKind.URL,
            "",
            help="Empty: the email asks the buyer to reply instead.",
        ),
        smart_sending(),
    ),
)

PRODUCT_USAGE_TIPS = Flow(
    key="product_usage_tips",
    name="Product usage tips",
    description="Sends your tips for the products bought (per product or collection) once they arrive.",
    theme="After purchase",
    goal=Goal.RETAIN,
    subject="order",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.ORDER_FULFILLED,),
    exit_on=(CANCELLED, UNSUBSCRIBED),
    guard="order_not_cancelled",
    blocks=("tips",),
    steps=(
        Wait("delay", timedelta(days=2), "Wait after fulfilment", minimum=timedelta(hours=1)),
        Send("email", "email", "usage_tips", "Usage tips email", needs=("tips",)),
        push("usage_tips_push", needs=("tips",)),
        sms("usage_tips_sms", needs=("tips",)),
    ),
    params=(
        Param(
            "tips",
            "Tips, one a line",
            ParamKind.LINES,
            [],
            help=(
                "“product ID: tip” or “collection NAME: tip”. On Shopify a collection is the "
                "product type or a tag; on Saleor a collection or category name."
            ),
            entries="tips",
        ),
        smart_sending(),
    ),
)

REPLENISHMENT = Flow(
    key="replenishment",
    name="Replenishment",
    description="Reminds a buyer to restock a consumable when it should be running out.",
    theme="After purchase",
    goal=Goal.RETAIN,
    subject="order",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.ORDER_PAID,),
    exit_on=(CANCELLED, UNSUBSCRIBED),
    guard="not_bought_again",
    entry="replenishable_items",
    blocks=("replenish",),
    steps=(
        Wait(
            "delay",
            timedelta(days=30),
            "Wait after purchase (the shortest-lasting product's days)",
            minimum=timedelta(days=1),
            maximum=timedelta(days=365),
            from_context="replenish_after_seconds",
        ),
        Send("email", "email", "replenishment", "Time to restock email"),
        push("replenishment_push"),
        sms("replenishment_sms"),
    ),
    params=(
        Param(
            "products",
            "Consumables and how long they last, one a line",
            ParamKind.LINES,
            {},
            help="“product ID: days”, e.g. 632910392: 30. Orders without one of them do not enter.",
            entries="product_days",
        ),
        smart_sending(),
    ),
)

FLOWS = (THANK_YOU, CROSS_SELL, REVIEW_REQUEST, POST_PURCHASE_SURVEY, PRODUCT_USAGE_TIPS, REPLENISHMENT)
