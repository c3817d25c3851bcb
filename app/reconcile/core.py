"""Run reconciliation for one shop against its platform's recent activity, and remember how far it got."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Shop
from app.reconcile.missed import Synthetic, missing_checkout, missing_orders, store
from app.shops.platform import RecentActivity

log = logging.getLogger(__name__)

LOOKBACK = timedelta(hours=24)  # the first run's window, and the furthest back any run looks
OVERLAP = timedelta(minutes=5)  # each window starts a little before the last one ended
SETTINGS_KEY = "reconcile"


@dataclass(frozen=True)
class Report:
    checkouts_seen: int
    orders_seen: int
    stored: int


class Reconciler:
    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now

    def run(self, shop: Shop, source: RecentActivity) -> Report:
        """Store what the platform has and we lack; move the shop's marks to the end of each window.

        The caller commits (the reconcile job), so the marks move only with what was stored.
        """
        source.learn_identity(shop)
        marks = dict((shop.settings or {}).get(SETTINGS_KEY) or {})
        found: list[Synthetic] = []
        checkouts_until = self.now - source.checkout_settle
        checkouts_since = self._since(marks, "checkouts", checkouts_until)
        seen_checkouts = 0
        for remote in source.checkouts(checkouts_since, checkouts_until):
            seen_checkouts += 1
            synthetic = missing_checkout(self.session, shop.id, remote, source.checkout_topics)
            if synthetic is not None:
                found.append(synthetic)
        orders_until = self.now - source.order_settle
        seen_orders = 0
        for remote_order in source.orders(self._since(marks, "orders", orders_until), orders_until):
            seen_orders += 1
            found += missing_orders(self.session, shop.id, remote_order, source.order_topics)
        stored = store(self.session, shop.id, source.platform, found, self.now)
        self._remember(
            shop.id, {"checkouts": checkouts_until.isoformat(), "orders": orders_until.isoformat()}
        )
        if stored:
            log.warning(
                "shop %s: %d webhook(s) never arrived; reconciled from the %s API",
                shop.id,
                stored,
                source.platform,
            )
        return Report(seen_checkouts, seen_orders, stored)

    def _since(self, marks: dict[str, Any], kind: str, until: datetime) -> datetime:
        floor = until - LOOKBACK
        try:
            mark = datetime.fromisoformat(str(marks[kind])) - OVERLAP
        except (KeyError, ValueError):
            return floor
        return max(mark, floor)

    def _remember(self, shop_id: int, marks: dict[str, str]) -> None:
        """Write the marks under the shop row's lock, so a settings save in between is not lost."""
        shop = self.session.scalars(
            select(Shop).where(Shop.id == shop_id).with_for_update().execution_options(populate_existing=True)
        ).one()
        settings = dict(shop.settings or {})
        settings[SETTINGS_KEY] = {**dict(settings.get(SETTINGS_KEY) or {}), **marks}
        shop.settings = settings
