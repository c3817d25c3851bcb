"""Recovery links made from a shop's storefront checkout-URL template, for platforms that host none.

Shopify sends ``abandoned_checkout_url``; Saleor has no hosted recovery page, so the merchant says
where their storefront reopens a checkout (``https://shop.example/checkout?checkout={checkout_id}``)
and each checkout's link is filled in from that template when it is stored, and again for every
open checkout when the template changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Checkout

TEMPLATE_SETTING = "checkout_url_template"
PLACEHOLDER = "{checkout_id}"


def template_of(settings: Mapping[str, Any]) -> str | None:
    """Return the shop's checkout-URL template, if the merchant set one."""
    template = settings.get(TEMPLATE_SETTING)
    return template if isinstance(template, str) and PLACEHOLDER in template else None


def link_from(template: str, checkout_id: str) -> str:
    """Fill the template with a checkout's id, escaped for use anywhere in a URL."""
    return template.replace(PLACEHOLDER, quote(checkout_id, safe=""))


def relink_open_checkouts(session: Session, shop_id: int, template: str) -> int:
    """Give every open checkout of the shop a link from the (new) template; return how many."""
    open_checkouts = session.scalars(
        select(Checkout).where(
            Checkout.shop_id == shop_id,
            Checkout.completed_at.is_(None),
            Checkout.order_platform_id.is_(None),
        )
    ).all()
    for checkout in open_checkouts:
        checkout.recovery_url = link_from(template, checkout.platform_id or checkout.token)
    return len(open_checkouts)
