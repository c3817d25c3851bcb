"""The welcome discount a form may promise: the welcome series' own first-order code.

A form does not make codes itself. The welcome series already issues one unique code per
subscriber through the platform (``app/discounts/codes.py``), to shoppers who have not ordered,
once their subscription is confirmed; a code shown on the page at once would reach whoever typed
any address, confirmed or not. So a form with the discount switched on promises the series' offer
in its success state, and only while the series would really send it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from flows.settings import flow_settings

WELCOME_SERIES = "welcome_series"
DISCOUNT_STEP = "discount_email"


def welcome_offer(session: Session, shop_id: int) -> int | None:
    """Return the percent off the welcome series sends new subscribers, or None if it sends none."""
    settings = flow_settings(session, shop_id, WELCOME_SERIES)
    if not (
        settings.enabled and settings.params.get("discount") and settings.steps_enabled.get(DISCOUNT_STEP)
    ):
        return None
    return int(settings.param("discount_percent"))
