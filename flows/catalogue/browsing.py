"""Flows fed by storefront events of a known shopper: browse, search and site abandonment, wishlist.

A storefront visitor is known once linked to a contact (our tracked link, their checkout, their
login). The more specific flow wins: viewing a product leaves site abandonment, adding to cart or
starting a checkout leaves all of them.
"""

from __future__ import annotations

from datetime import timedelta

from app.core.events import EventKind
from flows.catalogue.common import (
    ADDED_TO_CART,
    ORDERED,
    STARTED_CHECKOUT,
    UNSUBSCRIBED,
    push,
    reentry,
    smart_sending,
    sms,
)
from flows.definitions import Flow, Goal, Purpose, Send, Wait

BROWSE_ABANDONMENT = Flow(
    key="browse_abandonment",
    name="Browse abandonment",
    description="Shows a known shopper the products they looked at and did not add to their cart.",
    theme="Browsing",
    goal=Goal.RECOVER,
    subject="contact",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.PRODUCT_VIEWED,),
    rearm_on=(EventKind.PRODUCT_VIEWED,),
    exit_on=(ORDERED, ADDED_TO_CART, STARTED_CHECKOUT, UNSUBSCRIBED),
    exit_on_entering=("abandoned_cart", "abandoned_checkout"),
    reentry_param="reentry_days",
    blocks=("viewed", "related"),
    steps=(
        Wait("delay", timedelta(hours=2), "Wait after the last product view", minimum=timedelta(minutes=30)),
        Send("email", "email", "browse_abandonment", "Products you looked at", needs=("viewed",)),
        push("browse_abandonment_push", needs=("viewed",)),
        sms("browse_abandonment_sms", needs=("viewed",)),
    ),
    params=(reentry(7), smart_sending()),
)

SEARCH_ABANDONMENT = Flow(
    key="search_abandonment",
    name="Search abandonment",
    description="Follows up a known shopper's search with products that match it.",
    theme="Browsing",
    goal=Goal.RECOVER,
    subject="contact",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.SEARCH_PERFORMED,),
    rearm_on=(EventKind.SEARCH_PERFORMED,),
    exit_on=(ORDERED, ADDED_TO_CART, STARTED_CHECKOUT, UNSUBSCRIBED),
    exit_on_entering=("browse_abandonment", "abandoned_cart", "abandoned_checkout"),
    reentry_param="reentry_days",
    blocks=("searches",),
    steps=(
        Wait("delay", timedelta(hours=2), "Wait after the last search", minimum=timedelta(minutes=30)),
        Send("email", "email", "search_abandonment", "Results for your search", needs=("searches",)),
        push("search_abandonment_push", needs=("searches",)),
        sms("search_abandonment_sms", needs=("searches",)),
    ),
    params=(reentry(7), smart_sending()),
)

SITE_ABANDONMENT = Flow(
    key="site_abandonment",
    name="Site abandonment",
    description=(
        "Welcomes back a known shopper whose visit (collections, no product, no cart) ended, with "
        "the store's bestsellers."
    ),
    theme="Browsing",
    goal=Goal.RECOVER,
    subject="contact",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.SITE_VISITED,),
    rearm_on=(EventKind.SITE_VISITED,),
    exit_on=(ORDERED, ADDED_TO_CART, STARTED_CHECKOUT, UNSUBSCRIBED),
    exit_on_entering=("browse_abandonment", "search_abandonment", "abandoned_cart", "abandoned_checkout"),
    reentry_param="reentry_days",
    blocks=("bestsellers",),
    steps=(
        Wait(
            "delay",
            timedelta(hours=3),
            "Wait after the visit's last page (the session ends 30 minutes in)",
            minimum=timedelta(minutes=30),
        ),
        Send("email", "email", "site_abandonment", "Come back email", needs=("bestsellers",)),
        push("site_abandonment_push", needs=("bestsellers",)),
        sms("site_abandonment_sms", needs=("bestsellers",)),
    ),
    params=(reentry(14), smart_sending()),
)

WISHLIST_REMINDER = Flow(
    key="wishlist_reminder",
    name="Wishlist reminder",
    description="Reminds a shopper of what they saved to their wishlist, with today's price and stock.",
    theme="Browsing",
    goal=Goal.CONVERT,
    subject="contact",
    purpose=Purpose.MARKETING,
    triggers=(EventKind.WISHLIST_ADDED,),
    rearm_on=(EventKind.WISHLIST_ADDED,),
    exit_on=(ORDERED, UNSUBSCRIBED),
    reentry_param="reentry_days",
    blocks=("wishlist",),
    steps=(
        Wait("delay", timedelta(days=3), "Wait after the last wishlist addition", minimum=timedelta(hours=1)),
        Send("email", "email", "wishlist_reminder", "Wishlist reminder email", needs=("wishlist",)),
        push("wishlist_reminder_push", needs=("wishlist",)),
        sms("wishlist_reminder_sms", needs=("wishlist",)),
    ),
    params=(reentry(14), smart_sending()),
)

FLOWS = (BROWSE_ABANDONMENT, SEARCH_ABANDONMENT, SITE_ABANDONMENT, WISHLIST_REMINDER)
