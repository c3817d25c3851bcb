"""Build rows for tests with sensible defaults."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.core.clock import ManualClock
from app.db.models import Contact, FlowSetting, Shop
from tests.support.shopify import SHOP_DOMAIN


class Factory:
    def __init__(self, session: Session, clock: ManualClock) -> None:
        self.session = session
        self.clock = clock

    def shop(self, domain: str = SHOP_DOMAIN, installed: bool = True, **fields: Any) -> Shop:
        shop = Shop(
            platform=fields.pop("platform", "shopify"),
            domain=domain,
            name=fields.pop("name", "Demo Shop"),
            currency=fields.pop("currency", "USD"),
            installed_at=self.clock.now() if installed else None,
            **fields,
        )
        self.session.add(shop)
        self.session.commit()
        return shop

    def enable(self, shop: Shop, *flow_keys: str, **overrides: Any) -> None:
        for key in flow_keys:
            self.session.add(
                FlowSetting(shop_id=shop.id, flow_key=key, enabled=True, overrides=overrides.get(key, {}))
            )
        self.session.commit()

    def contact(self, shop: Shop, **fields: Any) -> Contact:
        contact = Contact(shop_id=shop.id, **fields)
        self.session.add(contact)
        self.session.commit()
        return contact
