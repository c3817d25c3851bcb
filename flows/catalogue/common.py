"""Settings and rules several flows share: smart sending, discounts, re-entry, send hour, batches,
and the SMS and push steps every flow that fits offers beside its email."""

from __future__ import annotations

from app.core.events import EventKind
from flows.definitions import ExitRule, ExitScope, Param, ParamKind, Send

SKIP = "skip"
DEFER = "defer"
OFF = "off"

ORDERED = ExitRule(EventKind.ORDER_PLACED, ExitScope.CONTACT)
UNSUBSCRIBED = ExitRule(EventKind.CONTACT_UNSUBSCRIBED, ExitScope.CONTACT)
ADDED_TO_CART = ExitRule(EventKind.CART_PRODUCT_ADDED, ExitScope.CONTACT)
STARTED_CHECKOUT = ExitRule(EventKind.CHECKOUT_STARTED, ExitScope.CONTACT)


def smart_sending(default: str = SKIP) -> Param:
    """What to do with a marketing message when the shopper was messaged within the window."""
    return Param(
        "smart_sending",
        "Smart sending",
        ParamKind.CHOICE,
        default,
        help=(
            "When the contact budget holds the message back (Settings: one marketing message per "
            "16 hours across channels unless changed, counting flows ranked at least as high), a "
            "higher-ranked flow has a message due within the window, or the frequency cap is reached."
        ),
        choices=(
            (SKIP, "Skip the message"),
            (DEFER, "Send it once there is room"),
            (OFF, "Always send"),
        ),
    )


def discount(on: bool, percent: int = 10, days: int = 14) -> tuple[Param, ...]:
    """A unique single-use code, made through the store's own API for each shopper in the flow."""
    return (
        Param(
            "discount",
            "Include a unique discount code",
            ParamKind.SWITCH,
            on,
            help="Made once per shopper through your store's API (Shopify discount code, Saleor voucher).",
        ),
        Param("discount_percent", "Discount (percent)", ParamKind.NUMBER, percent, minimum=1, maximum=90),
        Param("discount_days", "Code valid for (days)", ParamKind.NUMBER, days, minimum=1, maximum=365),
    )


def reentry(days: int) -> Param:
    """How soon a shopper who went through the flow may start it again."""
    return Param(
        "reentry_days",
        "Days before a shopper can enter again",
        ParamKind.NUMBER,
        days,
        minimum=0,
        maximum=365,
    )


def send_hour(default: int = 9) -> Param:
    """The hour of the shopper's day (their time zone, else the shop's) the flow starts."""
    return Param(
        "send_hour",
        "Hour of the shopper's day to send (0-23)",
        ParamKind.NUMBER,
        default,
        help="In the shopper's time zone when known, else the shop's.",
        minimum=0,
        maximum=23,
    )


def batches(size: int, minutes: int = 60) -> tuple[Param, ...]:
    """Notify interested shoppers in waves, so a restock of 5 units does not email 5,000 at once."""
    return (
        Param("batch_size", "Shoppers notified per batch", ParamKind.NUMBER, size, minimum=1, maximum=10_000),
        Param(
            "batch_minutes",
            "Minutes between batches",
            ParamKind.NUMBER,
            minutes,
            help="The next batch goes only if the product is still available.",
            minimum=1,
            maximum=1440,
        ),
    )


def push(template: str, needs: tuple[str, ...] = ()) -> Send:
    """A web push to shoppers who allowed notifications on the storefront, after the flow's messages.

    Off until the merchant switches it on (the storefront must offer push first), and last in the
    flow, so switching it on changes no step an enrollment already in the flow is waiting on.
    """
    return Send(
        "push",
        "push",
        template,
        "Web push (only to shoppers who allowed notifications)",
        enabled_by_default=False,
        needs=needs,
    )


def sms(
    template: str,
    needs: tuple[str, ...] = (),
    offers_discount: bool = False,
    condition: str = "",
    label: str = "SMS (only with SMS consent)",
) -> Send:
    """An SMS to shoppers with SMS consent, after the flow's other messages.

    Off until the merchant switches it on: existing shops get no texts they never chose, and the
    shop needs Twilio set up first. Last in the flow, like push, so adding the step moves no step an
    enrollment already in the flow is waiting on (enrollments keep a step's position). The generic
    send rules apply as to any SMS: SMS consent whatever the flow's purpose, quiet hours in the
    shopper's zone, and, for marketing, the contact budget.
    """
    return Send(
        "sms",
        "sms",
        template,
        label,
        enabled_by_default=False,
        condition=condition,
        offers_discount=offers_discount,
        needs=needs,
    )
