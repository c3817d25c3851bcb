"""Say in a merchant's words what starts a flow, what ends it, and what is checked before each message."""

from __future__ import annotations

from app.core.events import EventKind
from flows.definitions import ExitRule, ExitScope, Flow
from flows.settings import ResolvedSettings

TRIGGERS = {
    EventKind.CHECKOUT_STARTED: "a shopper starts a checkout with an email address",
    EventKind.CHECKOUT_UPDATED: "a shopper updates a checkout (this restarts the current wait)",
    EventKind.CART_UPDATED: "a cart is linked to a known shopper (their checkout or storefront visit)",
    EventKind.ORDER_PLACED: "an order is placed",
    EventKind.ORDER_PAID: "an order is paid",
    EventKind.ORDER_FULFILLED: "an order is fulfilled",
    EventKind.PRODUCT_VIEWED: "a known shopper views a product on the storefront",
    EventKind.SEARCH_PERFORMED: "a known shopper searches the storefront",
    EventKind.SITE_VISITED: "a known shopper browses collections on the storefront",
    EventKind.WISHLIST_ADDED: "a known shopper adds a product to their wishlist",
    EventKind.PRODUCT_BACK_IN_STOCK: "a product a shopper asked about comes back in stock",
    EventKind.PRODUCT_PRICE_DROPPED: "the price of a product a shopper viewed, wished for or carted drops",
    EventKind.PRODUCT_LOW_STOCK: "a product a shopper wished for or carted runs low",
    EventKind.BIRTHDAY: "it is the shopper's birthday (at the send hour, their time)",
    EventKind.ORDER_ANNIVERSARY: "it is the anniversary of the shopper's first order",
    EventKind.DATE_REACHED: "one of your dates comes (at the send hour, each subscriber's time)",
    EventKind.CONTACT_LAPSED: "a customer's last order is older than the lapse",
    EventKind.CONTACT_UNENGAGED: "an email subscriber opened and clicked nothing for the set days",
    EventKind.CONTACT_SUBSCRIBED: "a shopper subscribes to email (after confirming, with double opt-in)",
    EventKind.SUBSCRIPTION_PENDING: "a shopper signs up for email",
    EventKind.SIGNUP_PENDING: (
        "a shopper ticks the subscribe box on one of Storeflow's forms (confirmed even while this "
        "flow is off, unless your consent settings choose single opt-in)"
    ),
}
EXITS = {
    (EventKind.CHECKOUT_COMPLETED, ExitScope.SUBJECT): "the checkout is completed",
    (EventKind.ORDER_PLACED, ExitScope.SUBJECT): "an order is placed from this checkout or cart",
    (EventKind.ORDER_PLACED, ExitScope.CONTACT): "the shopper places any order since the flow began",
    (EventKind.ORDER_CANCELLED, ExitScope.SUBJECT): "the order is cancelled",
    (EventKind.CONTACT_UNSUBSCRIBED, ExitScope.CONTACT): "the shopper unsubscribes from email",
    (EventKind.CART_PRODUCT_ADDED, ExitScope.CONTACT): "the shopper adds a product to their cart",
    (EventKind.CHECKOUT_STARTED, ExitScope.CONTACT): "the shopper starts a checkout",
    (EventKind.CONTACT_SUBSCRIBED, ExitScope.CONTACT): "the shopper confirms",
}
GUARDS = {
    "checkout_still_open": "Checks again that the checkout is open and the shopper has not ordered since.",
    "order_not_cancelled": "Checks again that the order was not cancelled.",
    "cart_still_open": "Checks again that the cart still holds items and the shopper has not ordered since.",
    "still_in_stock": "Checks again that the product is still in stock.",
    "price_still_lower": "Checks again that the price is still below what it was.",
    "not_bought_again": "Checks again that the shopper has not bought the product again since.",
    "subscription_pending": "Checks again that the subscription still awaits confirmation.",
    "still_unengaged": "Checks again that the subscriber has not opened or clicked anything since.",
}


def trigger_phrases(flow: Flow, settings: ResolvedSettings | None = None) -> list[str]:
    """Say what starts the flow: for a shop, the trigger it chose when the flow offers a choice."""
    kinds = settings.triggers() if settings is not None else flow.triggers
    return [TRIGGERS.get(kind, str(kind)) for kind in kinds]


def exit_phrase(rule: ExitRule) -> str:
    """Say in words what ends the flow early."""
    return EXITS.get((rule.kind, rule.scope), str(rule.kind))


def exit_phrases(flow: Flow, names: dict[str, str]) -> list[str]:
    """Say everything that ends the flow early, entering a flow that wins over it included."""
    phrases = [exit_phrase(rule) for rule in flow.exit_on]
    phrases += [f"the shopper enters {names.get(key, key)}" for key in flow.exit_on_entering]
    return phrases


def guard_phrase(flow: Flow) -> str:
    """Say what is checked again right before each message."""
    return GUARDS.get(flow.guard or "", "Nothing else is checked.")
