"""Recovery flows: an abandoned checkout, an abandoned cart.

Defaults follow what peers ship: Klaviyo suggests about 4 h before the first abandoned-checkout
reminder and Shopify waits 10 h by default; we start sooner (1 h) because the shopper's intent fades
fast, and every delay is a setting.
"""

from __future__ import annotations

from datetime import timedelta

from app.core.events import EventKind
from flows.catalogue.common import DEFER, ORDERED, UNSUBSCRIBED, discount, push, smart_sending, sms
from flows.definitions import ExitRule, Flow, Goal, Param, ParamKind, Purpose, Send, Wait

ABANDONED_CHECKOUT = Flow(
    key="abandoned_checkout",
    name="Abandoned checkout recovery",
    description="Reminds shoppers who started a checkout and did not finish it.",
    theme="Recovery",
    goal=Goal.RECOVER,
    subject="checkout",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.CHECKOUT_STARTED, EventKind.CHECKOUT_UPDATED),
    rearm_on=(EventKind.CHECKOUT_UPDATED,),
    exit_on=(
        ExitRule(EventKind.CHECKOUT_COMPLETED),
        ExitRule(EventKind.ORDER_PLACED),
        ORDERED,
        UNSUBSCRIBED,
    ),
    guard="checkout_still_open",
    steps=(
        Wait("first_delay", timedelta(hours=1), "Wait before the first email"),
        Send("first_email", "email", "abandoned_checkout_1", "First reminder email"),
        Wait("sms_delay", timedelta(hours=3), "Wait before the SMS"),
        Send("sms", "sms", "abandoned_checkout_sms", "SMS reminder (only with SMS consent)"),
        Wait("second_delay", timedelta(hours=20), "Wait before the last email"),
        Send("second_email", "email", "abandoned_checkout_2", "Last reminder email", offers_discount=True),
        push("abandoned_checkout_push"),
    ),
    params=(
        *discount(False, percent=10, days=7),
        Param(
            "survey_url",
            "“What stopped you?” survey link in the last email",
            ParamKind.URL,
            "",
            help="Empty: the last email invites a reply instead.",
        ),
        smart_sending(DEFER),
    ),
)

ABANDONED_CART = Flow(
    key="abandoned_cart",
    name="Abandoned cart",
    description=(
        "Reminds a known shopper of the cart they left. Carts carry no email: a cart enters once it "
        "is linked to a contact (their checkout, or their storefront visit)."
    ),
    theme="Recovery",
    goal=Goal.RECOVER,
    subject="cart",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.CART_UPDATED,),
    rearm_on=(EventKind.CART_UPDATED,),
    exit_on=(ExitRule(EventKind.ORDER_PLACED), ORDERED, UNSUBSCRIBED),
    exit_on_entering=("abandoned_checkout",),
    guard="cart_still_open",
    steps=(
        Wait("first_delay", timedelta(hours=1), "Wait before the first email"),
        Send("first_email", "email", "abandoned_cart_1", "First reminder email"),
        Wait("second_delay", timedelta(hours=23), "Wait before the last email"),
        Send("second_email", "email", "abandoned_cart_2", "Last reminder email", offers_discount=True),
        push("abandoned_cart_push"),
        sms("abandoned_cart_sms", offers_discount=True),
    ),
    params=(*discount(False, percent=10, days=7), smart_sending(DEFER)),
)

FLOWS = (ABANDONED_CHECKOUT, ABANDONED_CART)
