"""What a signed body says about whose it is, on either platform.

Shopify's HMAC and Saleor's JWS cover the body only; the headers that name the shop (or the
installation) and the topic are not signed. Each platform's binder checks a body against the
headers and the installation it was stored for, and says whether the body itself named the shop.
The receiver refuses a mismatch before storing; processing checks again before a destructive
event acts, and refuses one whose body names no shop at all (see SECURITY.md, "Tenant binding").
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from webhooks.inbox import ShopRef
from webhooks.payload import JSONObject


class Binding(Enum):
    NAMED = "named"  # the body names this shop (or installation), and it is this one
    UNNAMED = "unnamed"  # the body cannot say whose it is; its shape fits the topic


# (topic, body, the shop the headers named) → Binding; raises MisboundWebhookError on a mismatch
# and WrongShapeError for a body that is not the topic's.
Binder = Callable[[str, JSONObject, ShopRef], Binding]
