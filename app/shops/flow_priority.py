"""Which flows come first when a shopper's message budget runs short: a per-shop order of groups.

Flows are ranked by group, not one by one, so a merchant reorders five lines instead of twenty-three
flows, and a flow added later (push, a new catalogue alert) lands in a sensible place by its group.
The default puts the shopper's own intent first: a checkout left behind outranks a restock alert,
which outranks a browsing follow-up, which outranks lifecycle mail, which outranks win-back.
"""

from __future__ import annotations

from app.core.errors import StoreflowError

RECOVERY = "recovery"
CATALOGUE = "catalogue"
BROWSING = "browsing"
LIFECYCLE = "lifecycle"
WINBACK = "winback"

GROUP_LABELS = {
    RECOVERY: "Recovery (abandoned checkout, abandoned cart)",
    CATALOGUE: "Catalogue alerts (back in stock, price drop, low stock)",
    BROWSING: "Browsing (browse, search and site abandonment, wishlist)",
    LIFECYCLE: "Lifecycle (welcome, VIP, post-purchase, dates)",
    WINBACK: "Win-back and sunset",
}
DEFAULT_ORDER = (RECOVERY, CATALOGUE, BROWSING, LIFECYCLE, WINBACK)

_GROUP_OF = {
    "abandoned_checkout": RECOVERY,
    "abandoned_cart": RECOVERY,
    "back_in_stock": CATALOGUE,
    "price_drop": CATALOGUE,
    "low_stock": CATALOGUE,
    "browse_abandonment": BROWSING,
    "search_abandonment": BROWSING,
    "site_abandonment": BROWSING,
    "wishlist_reminder": BROWSING,
    "win_back": WINBACK,
    "sunset_unengaged": WINBACK,
}


class PriorityOrderError(StoreflowError, ValueError):
    """A submitted priority order does not name every group exactly once."""


def group_of(flow_key: str) -> str:
    """Return the flow's priority group; every flow not named above is lifecycle mail."""
    return _GROUP_OF.get(flow_key, LIFECYCLE)


def rank(order: tuple[str, ...], flow_key: str) -> int:
    """Return how high the flow ranks under ``order`` (bigger wins)."""
    return len(order) - order.index(group_of(flow_key))


def checked_order(groups: list[str]) -> tuple[str, ...]:
    """Return ``groups`` as a priority order, or raise when it is not each group exactly once."""
    if sorted(groups) != sorted(DEFAULT_ORDER):
        raise PriorityOrderError("Rank each group of flows exactly once, from first to last.")
    return tuple(groups)
