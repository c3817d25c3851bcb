"""The prebuilt flows a merchant can switch on, as data, grouped by theme.

Defaults: every flow starts switched off, so installing never emails shoppers by surprise; a
merchant turns each on after checking the sender. The one exception is back in stock, whose only
recipients asked for that message through the store's "notify me" form.
"""

from __future__ import annotations

from app.core.errors import StoreflowError
from flows.catalogue import browsing, calendar, lifecycle, purchase, recovery, stock
from flows.definitions import Flow

CATALOGUE: dict[str, Flow] = {
    flow.key: flow
    for module in (recovery, browsing, stock, purchase, lifecycle, calendar)
    for flow in module.FLOWS
}


class UnknownFlowError(StoreflowError, KeyError):
    """No flow has that key."""


def get_flow(key: str) -> Flow:
    """Return the flow with this key."""
    try:
        return CATALOGUE[key]
    except KeyError:
        raise UnknownFlowError(key) from None
