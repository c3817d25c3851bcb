"""The prebuilt flows a merchant can switch on, as data, grouped by theme.

Defaults: every flow starts switched off, so installing never emails shoppers by surprise; a
merchant turns each on after checking the sender. The one exception is back in stock, whose only
recipients asked for that message through the store's "notify me" form.

Channels: every flow offers an email, an SMS and a web push step, except where a channel does not
fit the flow's job; ``LEFT_OUT_CHANNELS`` names those and says why (docs/flows.md lists them), so a
new flow cannot forget a channel unnoticed (tests/test_catalogue_channels.py).
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


CHANNELS = ("email", "sms", "push")

LEFT_OUT_CHANNELS: dict[str, dict[str, str]] = {
    "double_opt_in": {
        "sms": "it confirms an email address, so the link must reach that address",
        "push": "it confirms an email address, so the link must reach that address",
    },
    "sunset_unengaged": {
        "sms": "it asks whether to keep emailing, then suppresses the email address; SMS has STOP",
        "push": "it asks whether to keep emailing; push has the browser's own permission to withdraw",
    },
}


class UnknownFlowError(StoreflowError, KeyError):
    """No flow has that key."""


def get_flow(key: str) -> Flow:
    """Return the flow with this key."""
    try:
        return CATALOGUE[key]
    except KeyError:
        raise UnknownFlowError(key) from None
