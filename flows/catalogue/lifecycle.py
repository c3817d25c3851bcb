"""A shopper's life with the store: double opt-in, welcome, VIP, win-back, and sunsetting the unengaged."""

from __future__ import annotations

from datetime import timedelta

from app.core.events import EventKind
from flows.catalogue.common import (
    ORDERED,
    UNSUBSCRIBED,
    discount,
    push,
    reentry,
    send_hour,
    smart_sending,
    sms,
)
from flows.definitions import Act, ExitRule, ExitScope, Flow, Goal, Param, ParamKind, Purpose, Send, Wait

DOUBLE_OPT_IN = Flow(
    key="double_opt_in",
    name="Double opt-in",
    description=(
        "Switched on, a new email subscriber stays pending until they confirm through the link "
        "this flow sends; only then do marketing flows (the welcome series first) reach them. "
        "Signups on Storeflow's own forms are always confirmed this way, unless your consent "
        "settings choose single opt-in for them."
    ),
    theme="Lifecycle",
    goal=Goal.GROW,
    subject="contact",
    purpose=Purpose.REQUESTED,
    triggers=(EventKind.SUBSCRIPTION_PENDING, EventKind.SIGNUP_PENDING),
    runs_while_off=(EventKind.SIGNUP_PENDING,),
    exit_on=(ExitRule(EventKind.CONTACT_SUBSCRIBED, ExitScope.CONTACT),),
    guard="subscription_pending",
    reentry_param="reentry_days",
    blocks=("confirm",),
    steps=(
        Wait("delay", timedelta(0), "Wait after signing up", minimum=timedelta(0)),
        Send("email", "email", "double_opt_in_1", "Confirm your subscription email"),
        Wait("reminder_delay", timedelta(days=2), "Wait before the reminder", minimum=timedelta(hours=1)),
        Send("reminder", "email", "double_opt_in_2", "Reminder to confirm"),
    ),
    params=(reentry(7),),
)

WELCOME_SERIES = Flow(
    key="welcome_series",
    name="Welcome series",
    description=(
        "Welcomes a new email subscriber: thanks and your story, a first-order discount, then how "
        "to choose what they get."
    ),
    theme="Lifecycle",
    goal=Goal.CONVERT,
    subject="contact",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.CONTACT_SUBSCRIBED,),
    exit_on=(UNSUBSCRIBED,),
    steps=(
        Wait("delay", timedelta(0), "Wait after subscribing", minimum=timedelta(0)),
        Send("welcome_email", "email", "welcome_1", "Thanks and brand story"),
        Wait("discount_delay", timedelta(days=1), "Wait before the discount", minimum=timedelta(hours=1)),
        Send(
            "discount_email",
            "email",
            "welcome_2",
            "First-order discount (only to shoppers who have not ordered)",
            condition="order_count = 0",
            variant_b="welcome_2_b",
            offers_discount=True,
        ),
        Wait(
            "preferences_delay", timedelta(days=2), "Wait before the last email", minimum=timedelta(hours=1)
        ),
        Send("preferences_email", "email", "welcome_3", "Preferences and unsubscribe reminder"),
        push("welcome_push"),
        sms(
            "welcome_sms",
            condition="order_count = 0",
            offers_discount=True,
            label="First-order reminder SMS (only with SMS consent, to shoppers who have not ordered)",
        ),
    ),
    params=(
        Param(
            "brand_story",
            "Your story, in a sentence or two",
            ParamKind.TEXT,
            "",
            help="Shown in the first email; empty leaves the paragraph out.",
        ),
        *discount(True, percent=10, days=14),
        smart_sending(),
    ),
)

VIP = Flow(
    key="vip",
    name="VIP",
    description=(
        "Thanks a shopper who crossed your VIP line (a number of orders, or a total spent) and tags them."
    ),
    theme="Lifecycle",
    goal=Goal.RETAIN,
    subject="contact",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.ORDER_PAID,),
    exit_on=(UNSUBSCRIBED,),
    entry="vip_threshold",
    steps=(
        Wait("delay", timedelta(hours=1), "Wait after the qualifying order", minimum=timedelta(0)),
        Act("tag", "tag_contact", "Tag the shopper (for your own segments)"),
        Send("email", "email", "vip", "VIP welcome email", offers_discount=True),
        push("vip_push"),
        sms("vip_sms", offers_discount=True),
    ),
    params=(
        Param("vip_orders", "VIP after this many orders", ParamKind.NUMBER, 5, minimum=1, maximum=1000),
        Param(
            "vip_spend", "... or after spending (shop currency)", ParamKind.AMOUNT, "500.00", maximum=10**9
        ),
        Param("tag", "Tag given to VIPs", ParamKind.TEXT, "vip"),
        *discount(False, percent=15, days=30),
        smart_sending(),
    ),
)

WIN_BACK = Flow(
    key="win_back",
    name="Win-back",
    description=(
        "Reaches a customer whose last order was long ago: a reminder, then a discount, then your "
        "bestsellers."
    ),
    theme="Lifecycle",
    goal=Goal.RETAIN,
    subject="winback",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.CONTACT_LAPSED,),
    exit_on=(ORDERED, UNSUBSCRIBED),
    steps=(
        Wait("delay", timedelta(0), "Wait after the customer lapses", minimum=timedelta(0)),
        Send("reminder", "email", "win_back_1", "We miss you email"),
        Wait("discount_delay", timedelta(days=7), "Wait before the discount", minimum=timedelta(hours=1)),
        Send("discount_email", "email", "win_back_2", "Discount email", offers_discount=True),
        Wait(
            "bestsellers_delay", timedelta(days=7), "Wait before the bestsellers", minimum=timedelta(hours=1)
        ),
        Send("bestsellers", "email", "win_back_3", "Bestsellers email", needs=("bestsellers",)),
        push("win_back_push"),
        sms("win_back_sms", offers_discount=True),
    ),
    params=(
        Param(
            "lapse_days",
            "Lapsed after this many days without an order",
            ParamKind.NUMBER,
            90,
            minimum=14,
            maximum=730,
        ),
        send_hour(10),
        *discount(True, percent=15, days=14),
        smart_sending(),
    ),
    blocks=("bestsellers",),
)

SUNSET_UNENGAGED = Flow(
    key="sunset_unengaged",
    name="Sunset unengaged subscribers",
    description=(
        "Asks subscribers who opened and clicked nothing for a long time whether they still want "
        "email, then stops emailing those who do not respond (protects your sender reputation)."
    ),
    theme="Lifecycle",
    goal=Goal.GROW,
    subject="sunset",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.CONTACT_UNENGAGED,),
    exit_on=(UNSUBSCRIBED,),
    guard="still_unengaged",
    steps=(
        Wait("delay", timedelta(0), "Wait after the subscriber goes quiet", minimum=timedelta(0)),
        Send("email", "email", "sunset_1", "Do you still want to hear from us?"),
        Wait("grace", timedelta(days=7), "Time to respond", minimum=timedelta(days=1)),
        Act("suppress", "suppress_email", "Stop emailing (suppress the address) if still no open or click"),
    ),
    params=(
        Param(
            "unengaged_days",
            "Unengaged after this many days without an open or click",
            ParamKind.NUMBER,
            120,
            minimum=30,
            maximum=730,
        ),
        send_hour(10),
        smart_sending(),
    ),
)

FLOWS = (DOUBLE_OPT_IN, WELCOME_SERIES, VIP, WIN_BACK, SUNSET_UNENGAGED)
