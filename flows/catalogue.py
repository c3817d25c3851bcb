"""The prebuilt flows a merchant can switch on.

Defaults follow what peers ship: Klaviyo suggests about 4 h before the first abandoned-checkout
reminder and Shopify waits 10 h by default; we start sooner (1 h) because the shopper's intent fades
fast, and every delay is a setting. All flows start switched off: a merchant turns each on after
checking the sender identity, so installing never emails shoppers by surprise.
"""

from __future__ import annotations

from datetime import timedelta

from flows.definitions import ExitRule, ExitScope, Flow, Purpose, Send, Wait
from flows.events import EventKind

ABANDONED_CHECKOUT = Flow(
    key="abandoned_checkout",
    name="Abandoned checkout recovery",
    description="Reminds shoppers who started a checkout and did not finish it.",
    subject="checkout",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.CHECKOUT_STARTED, EventKind.CHECKOUT_UPDATED),
    rearm_on=(EventKind.CHECKOUT_UPDATED,),
    exit_on=(
        ExitRule(EventKind.CHECKOUT_COMPLETED),
        ExitRule(EventKind.ORDER_PLACED),
        ExitRule(EventKind.ORDER_PLACED, ExitScope.CONTACT),
    ),
    guard="checkout_still_open",
    steps=(
        Wait("first_delay", timedelta(hours=1), "Wait before the first email"),
        Send("first_email", "email", "abandoned_checkout_1", "First reminder email"),
        Wait("sms_delay", timedelta(hours=3), "Wait before the SMS"),
        Send("sms", "sms", "abandoned_checkout_sms", "SMS reminder (only with SMS consent)"),
        Wait("second_delay", timedelta(hours=20), "Wait before the last email"),
        Send("second_email", "email", "abandoned_checkout_2", "Last reminder email"),
    ),
)

THANK_YOU = Flow(
    key="thank_you",
    name="Thank-you after purchase",
    description="Thanks the buyer with an order summary once the order is paid.",
    subject="order",
    purpose=Purpose.TRANSACTIONAL,
    triggers=(EventKind.ORDER_PAID,),
    exit_on=(ExitRule(EventKind.ORDER_CANCELLED),),
    guard="order_not_cancelled",
    steps=(
        Wait("delay", timedelta(minutes=5), "Wait after payment", minimum=timedelta(0)),
        Send("email", "email", "thank_you", "Thank-you email"),
    ),
)

REVIEW_REQUEST = Flow(
    key="review_request",
    name="Review request",
    description="Asks for a product review a few days after the order is fulfilled.",
    subject="order",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.ORDER_FULFILLED,),
    exit_on=(ExitRule(EventKind.ORDER_CANCELLED),),
    guard="order_not_cancelled",
    steps=(
        Wait("delay", timedelta(days=7), "Wait after fulfilment", minimum=timedelta(hours=1)),
        Send("email", "email", "review_request", "Review request email"),
    ),
)

CATALOGUE: dict[str, Flow] = {flow.key: flow for flow in (ABANDONED_CHECKOUT, THANK_YOU, REVIEW_REQUEST)}


class UnknownFlowError(KeyError):
    """No flow has that key."""


def get_flow(key: str) -> Flow:
    """Return the flow with this key."""
    try:
        return CATALOGUE[key]
    except KeyError:
        raise UnknownFlowError(key) from None
