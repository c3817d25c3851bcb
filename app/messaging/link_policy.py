"""Where a message's links may lead: the shop's own domains, Storeflow, and what its merchant or its
platform named; anything else leads to the shop's home page instead.

A message's words may carry what a shopper typed (a search) and, before issue 14.2, what any page
posted (a product "title" and "url"), so a link in it is not trusted for being there. The origins
a link may have are:

- the shop's storefronts: its storefront URL (Shopify's primary domain, Saleor's configured
  storefront), Shopify's myshopify.com domain and the origins the merchant listed
  (``app/storefront/origins.py``);
- ``APP_URL``: our click, unsubscribe and confirmation pages;
- the links the merchant set in the flow: its URL settings (a survey link) and the links written
  in their own template overrides and email designs (``app/messaging/designed.py``);
- the links the platform gave for the message's subject (a checkout's recovery link, an order's
  status page), which Shopify may serve from a checkout domain of its own.

The policy is applied when links are rewritten at send time and again by the click redirect, so a
message stored before the check cannot lead elsewhere either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.db.models import Checkout, Enrollment, Message, Order, Shop
from app.messaging.designed import DESIGNS_KEY
from app.shops.platform import Platform
from app.storefront.origins import allowed_origins, origin_of
from flows.catalogue import CATALOGUE
from flows.definitions import ParamKind
from flows.settings import flow_overrides, flow_settings
from flows.subjects import load_subject

_WRITTEN_URL = re.compile(r"https?://[^\s\"'<>]+")


@dataclass(frozen=True)
class LinkPolicy:
    """The origins a message may link to, and the page a link to any other leads to instead."""

    home: str
    origins: frozenset[str]

    def allows(self, url: str) -> bool:
        return origin_of(url) in self.origins

    def target(self, url: str) -> str:
        """Return the URL when it may be linked to, else the shop's home page."""
        return url if self.allows(url) else self.home


def message_link_policy(
    session: Session, platform: Platform, shop: Shop, message: Message, app_url: str
) -> LinkPolicy:
    """Return where this message's links may lead (``platform`` is the shop's)."""
    named = [
        *_storefronts(platform, shop),
        app_url,
        *_merchant_links(session, shop.id, message.flow_key),
        *_subject_links(session, message),
    ]
    origins = frozenset(origin for origin in map(origin_of, named) if origin is not None)
    return LinkPolicy(home=shop_home(shop), origins=origins)


def shop_home(shop: Shop) -> str:
    """Return the shop's storefront home page."""
    return f"{shop.store_url.rstrip('/')}/"


def _storefronts(platform: Platform, shop: Shop) -> Iterable[str]:
    return allowed_origins(platform, shop.domain, shop.storefront_url, shop.settings)


def _merchant_links(session: Session, shop_id: int, flow_key: str) -> list[str]:
    """The links the merchant set for this flow: URL settings and links in their own templates and designs."""
    flow = CATALOGUE.get(flow_key)
    if flow is None:
        return []
    settings = flow_settings(session, shop_id, flow_key)
    links = [str(settings.param(p.setting)) for p in flow.params if p.kind == ParamKind.URL]
    overrides = flow_overrides(session, shop_id, flow_key)
    written = [(overrides or {}).get(section) for section in ("templates", DESIGNS_KEY)]
    return links + [url for source in _strings(written) for url in _WRITTEN_URL.findall(source)]


def _subject_links(session: Session, message: Message) -> list[str]:
    """The links the platform gave for what the message is about."""
    enrollment = session.get(Enrollment, message.enrollment_id)
    subject = load_subject(session, message.shop_id, enrollment.subject_key) if enrollment else None
    if isinstance(subject, Checkout):
        return [subject.recovery_url] if subject.recovery_url else []
    if isinstance(subject, Order):
        return [subject.status_url] if subject.status_url else []
    return []


def _strings(value: Any) -> Iterable[str]:
    """Every string in a JSON value (template overrides: template → part → source; designs' blocks)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
