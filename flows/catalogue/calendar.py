"""Date flows: birthdays, anniversaries of the first order, and dates the merchant names.

A daily calendar (app/calendar/) starts them at ``send_hour`` of the shopper's own day.
"""

from __future__ import annotations

from datetime import timedelta

from app.core.events import EventKind
from flows.catalogue.common import DEFER, UNSUBSCRIBED, discount, push, send_hour, smart_sending, sms
from flows.definitions import Flow, Goal, Param, ParamKind, Purpose, Send, Wait

BIRTHDAY = Flow(
    key="birthday",
    name="Birthday",
    description="Wishes a subscriber a happy birthday with a gift code, by email and (with consent) SMS.",
    theme="Dates",
    goal=Goal.RETAIN,
    subject="birthday",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.BIRTHDAY,),
    exit_on=(UNSUBSCRIBED,),
    steps=(
        Wait("delay", timedelta(0), "Wait after the day starts", minimum=timedelta(0)),
        Send("email", "email", "birthday", "Birthday email", offers_discount=True),
        Send("sms", "sms", "birthday_sms", "Birthday SMS (only with SMS consent)", offers_discount=True),
        push("birthday_push"),
    ),
    # Deferred, not skipped, when the contact budget is spent: a birthday gift a few hours late beats
    # none, and it ranks with the welcome series (both lifecycle mail), which often lands the same day.
    params=(send_hour(9), *discount(True, percent=15, days=30), smart_sending(DEFER)),
)

ORDER_ANNIVERSARY = Flow(
    key="order_anniversary",
    name="Anniversary of the first order",
    description="Celebrates the day a customer first ordered, every year.",
    theme="Dates",
    goal=Goal.RETAIN,
    subject="anniversary",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.ORDER_ANNIVERSARY,),
    exit_on=(UNSUBSCRIBED,),
    steps=(
        Wait("delay", timedelta(0), "Wait after the day starts", minimum=timedelta(0)),
        Send("email", "email", "order_anniversary", "Anniversary email", offers_discount=True),
        push("order_anniversary_push"),
        sms("order_anniversary_sms", offers_discount=True),
    ),
    params=(send_hour(9), *discount(False, percent=10, days=14), smart_sending()),
)

DATE_BASED = Flow(
    key="date_based",
    name="Dates you choose",
    description="Emails every subscriber on dates you name (a sale, a holiday), each year.",
    theme="Dates",
    goal=Goal.RETAIN,
    subject="date",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.DATE_REACHED,),
    exit_on=(UNSUBSCRIBED,),
    steps=(
        Wait("delay", timedelta(0), "Wait after the day starts", minimum=timedelta(0)),
        Send("email", "email", "date_reminder", "Date email", offers_discount=True),
        push("date_reminder_push"),
        sms("date_reminder_sms", offers_discount=True),
    ),
    params=(
        Param(
            "dates",
            "Dates, one a line",
            ParamKind.LINES,
            [],
            help="“MM-DD: name”, e.g. 11-27: Black Friday. Each year, at the send hour.",
            entries="dates",
        ),
        send_hour(9),
        *discount(False, percent=20, days=3),
        smart_sending(),
    ),
)

FLOWS = (BIRTHDAY, ORDER_ANNIVERSARY, DATE_BASED)
