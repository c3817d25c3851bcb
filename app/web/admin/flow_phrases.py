"""Say in a merchant's words what starts a flow, what ends it, and what is checked before each message."""

from __future__ import annotations

from flask_babel import gettext

from app.core.events import EventKind
from app.core.i18n import N_
from flows.definitions import ExitRule, ExitScope, Flow
from flows.settings import ResolvedSettings

TRIGGERS = {
    EventKind.CHECKOUT_STARTED: N_("a shopper starts a checkout with an email address"),
    EventKind.CHECKOUT_UPDATED: N_("a shopper updates a checkout (this restarts the current wait)"),
    EventKind.CART_UPDATED: N_("a cart is linked to a known shopper (their checkout or storefront visit)"),
    EventKind.ORDER_PLACED: N_("an order is placed"),
    EventKind.ORDER_PAID: N_("an order is paid"),
    EventKind.ORDER_FULFILLED: N_("an order is fulfilled"),
    EventKind.PRODUCT_VIEWED: N_("a known shopper views a product on the storefront"),
    EventKind.SEARCH_PERFORMED: N_("a known shopper searches the storefront"),
    EventKind.SITE_VISITED: N_("a known shopper browses collections on the storefront"),
    EventKind.WISHLIST_ADDED: N_("a known shopper adds a product to their wishlist"),
    EventKind.PRODUCT_BACK_IN_STOCK: N_("a product a shopper asked about comes back in stock"),
    EventKind.PRODUCT_PRICE_DROPPED: N_(
        "the price of a product a shopper viewed, wished for or carted drops"
    ),
    EventKind.PRODUCT_LOW_STOCK: N_("a product a shopper wished for or carted runs low"),
    EventKind.BIRTHDAY: N_("it is the shopper's birthday (at the send hour, their time)"),
    EventKind.ORDER_ANNIVERSARY: N_("it is the anniversary of the shopper's first order"),
    EventKind.DATE_REACHED: N_("one of your dates comes (at the send hour, each subscriber's time)"),
    EventKind.CONTACT_LAPSED: N_("a customer's last order is older than the lapse"),
    EventKind.CONTACT_UNENGAGED: N_("an email subscriber opened and clicked nothing for the set days"),
    EventKind.CONTACT_SUBSCRIBED: N_("a shopper subscribes to email (after confirming, with double opt-in)"),
    EventKind.SUBSCRIPTION_PENDING: N_("a shopper signs up for email"),
    EventKind.SIGNUP_PENDING: N_(
        "a shopper ticks the subscribe box on one of Storeflow's forms (confirmed even while this "
        "flow is off, unless your consent settings choose single opt-in)"
    ),
}
EXITS = {
    (EventKind.CHECKOUT_COMPLETED, ExitScope.SUBJECT): N_("the checkout is completed"),
    (EventKind.ORDER_PLACED, ExitScope.SUBJECT): N_("an order is placed from this checkout or cart"),
    (EventKind.ORDER_PLACED, ExitScope.CONTACT): N_("the shopper places any order since the flow began"),
    (EventKind.ORDER_CANCELLED, ExitScope.SUBJECT): N_("the order is cancelled"),
    (EventKind.CONTACT_UNSUBSCRIBED, ExitScope.CONTACT): N_("the shopper unsubscribes from email"),
    (EventKind.CART_PRODUCT_ADDED, ExitScope.CONTACT): N_("the shopper adds a product to their cart"),
    (EventKind.CHECKOUT_STARTED, ExitScope.CONTACT): N_("the shopper starts a checkout"),
    (EventKind.CONTACT_SUBSCRIBED, ExitScope.CONTACT): N_("the shopper confirms"),
}
GUARDS = {
    "checkout_still_open": N_(
        "Checks again that the checkout is open and the shopper has not ordered since."
    ),
    "order_not_cancelled": N_("Checks again that the order was not cancelled."),
    "cart_still_open": N_(
        "Checks again that the cart still holds items and the shopper has not ordered since."
    ),
    "still_in_stock": N_("Checks again that the product is still in stock."),
    "price_still_lower": N_("Checks again that the price is still below what it was."),
    "not_bought_again": N_("Checks again that the shopper has not bought the product again since."),
    "subscription_pending": N_("Checks again that the subscription still awaits confirmation."),
    "still_unengaged": N_("Checks again that the subscriber has not opened or clicked anything since."),
}


def trigger_phrases(flow: Flow, settings: ResolvedSettings | None = None) -> list[str]:
    """Say what starts the flow: for a shop, the trigger it chose when the flow offers a choice."""
    kinds = settings.triggers() if settings is not None else flow.triggers
    return [gettext(TRIGGERS[kind]) if kind in TRIGGERS else str(kind) for kind in kinds]


def exit_phrase(rule: ExitRule) -> str:
    """Say in words what ends the flow early."""
    phrase = EXITS.get((rule.kind, rule.scope))
    return gettext(phrase) if phrase else str(rule.kind)


def exit_phrases(flow: Flow, names: dict[str, str]) -> list[str]:
    """Say everything that ends the flow early, entering a flow that wins over it included."""
    phrases = [exit_phrase(rule) for rule in flow.exit_on]
    phrases += [
        gettext("the shopper enters %(flow)s", flow=names.get(key, key)) for key in flow.exit_on_entering
    ]
    return phrases


def guard_phrase(flow: Flow) -> str:
    """Say what is checked again right before each message."""
    return gettext(GUARDS.get(flow.guard or "", N_("Nothing else is checked.")))
