"""Marketing consent ticked on one of Storeflow's own public forms: double opt-in unless the shop
chose single opt-in.

Such a form takes any address from anyone who can load a page, so a ticked box proves only that
someone typed the address. By default the subscription is held ``pending`` and the double opt-in
flow emails the address a signed confirmation link; only that click subscribes it (issue 14.7).
A shop may choose single opt-in: more subscribers (no confirmation to lose them to), but anyone
can then subscribe someone else, and the ledger holds no proof that the address's owner agreed,
which the GDPR asks the shop to be able to show (Art. 7(1)) and some countries (Germany,
Austria) in practice only accept as a confirmed double opt-in. The platforms' own consent (a
Shopify checkout box) is the platform's record and follows the double opt-in flow's switch instead.
"""

from __future__ import annotations

from app.db.models import Shop

# The shop settings section the consent wording lives in too (app/consent/ledger.py).
SECTION = "consent"
FORM_OPT_IN = "form_opt_in"
DOUBLE_OPT_IN = "double"
SINGLE_OPT_IN = "single"
CHOICES = (DOUBLE_OPT_IN, SINGLE_OPT_IN)


def form_opt_in(shop: Shop) -> str:
    """Return how the shop confirms form signups: ``double`` (the default) or ``single``."""
    stored = (shop.settings or {}).get(SECTION)
    chosen = stored.get(FORM_OPT_IN) if isinstance(stored, dict) else None
    return SINGLE_OPT_IN if chosen == SINGLE_OPT_IN else DOUBLE_OPT_IN
