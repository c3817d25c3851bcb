"""Build rows for tests with sensible defaults."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.core.clock import ManualClock
from app.db.models import Contact, Enrollment, FlowSetting, Shop
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

    def enrollment(self, shop: Shop, contact: Contact, flow_key: str, **fields: Any) -> Enrollment:
        """Store an enrollment of the contact in the flow, started now and waiting on its first step."""
        now = self.clock.now()
        enrollment = Enrollment(
            shop_id=shop.id,
            flow_key=flow_key,
            subject_key=fields.pop("subject_key", f"contact:{contact.id}:{flow_key}:{now.timestamp()}"),
            contact_id=contact.id,
            state=fields.pop("state", "active"),
            step_index=fields.pop("step_index", 0),
            anchor_at=fields.pop("anchor_at", now),
            last_activity_at=fields.pop("last_activity_at", now),
            started_at=fields.pop("started_at", now),
            **fields,
        )
        self.session.add(enrollment)
        self.session.commit()
        return enrollment
