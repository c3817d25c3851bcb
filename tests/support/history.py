"""A platform's history as the sync core sees it: pages of facts, from memory, with the failures a
real platform has (not ready yet, no access, a crash between pages)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from flask import Flask

from app.core.events import EventKind
from app.core.facts import ConsentFacts, ConsentState, ContactFacts, LineItem, Normalized, OrderFacts
from app.db import db
from app.shops.history import (
    HistoryAccessError,
    HistoryNotReadyError,
    HistoryPage,
    HistoryResource,
    HistorySource,
)
from app.sync.runner import HistorySync, SyncRun

HISTORY = "test:history"


class Crash(RuntimeError):
    """The worker died between two pages."""


class MemoryHistory:
    """Serve each resource's records in pages of ``page_size``; the cursor is the next index."""

    resources: tuple[HistoryResource, ...] = tuple(HistoryResource)

    def __init__(self, page_size: int = 2) -> None:
        self.records: dict[HistoryResource, list[Normalized]] = {r: [] for r in HistoryResource}
        self.page_size = page_size
        self.crash_after: int | None = None  # pages served before the worker dies
        self.not_ready: dict[HistoryResource, float] = {}
        self.refused: set[HistoryResource] = set()
        self.cursors_asked: list[str | None] = []

    def pages(
        self, resource: HistoryResource, cursor: str | None, since: datetime | None
    ) -> Iterator[HistoryPage]:
        self.cursors_asked.append(cursor)
        if resource in self.refused:
            raise HistoryAccessError(f"no access to {resource.value}")
        if resource in self.not_ready:
            raise HistoryNotReadyError("still preparing", self.not_ready[resource])
        records = self.records[resource]
        start = int(cursor or 0)
        for index in range(start, len(records), self.page_size):
            if self.crash_after is not None:
                if self.crash_after == 0:
                    raise Crash("worker killed")
                self.crash_after -= 1
            end = index + self.page_size
            yield HistoryPage(
                tuple(records[index:end]), str(end) if end < len(records) else None, total=len(records)
            )
        if not records:
            yield HistoryPage((), None, total=0)


def customer(
    number: int, at: datetime, email_consent: ConsentState | None = None, birthday: str | None = None
) -> Normalized:
    contact = ContactFacts(
        platform_customer_id=str(1000 + number),
        email=f"shopper{number}@example.com",
        first_name="Ann",
        birthday=birthday,
    )
    consents = (ConsentFacts("email", email_consent, HISTORY, at),) if email_consent else ()
    return Normalized(EventKind.CUSTOMER_UPDATED, at, contact=contact, consents=consents)


def order(
    number: int, shopper: int, placed_at: datetime, total: str = "50.00", paid: bool = True, **changes: object
) -> Normalized:
    facts = OrderFacts(
        platform_id=str(5000 + number),
        updated_at=placed_at + timedelta(minutes=5),
        name=f"#{number}",
        email=f"shopper{shopper}@example.com",
        currency="USD",
        total_price=Decimal(total),
        line_items=(
            LineItem("Linen shirt", 1, Decimal(total), product_id="632910393", variant_id="808950811"),
        ),
        financial_status="paid" if paid else "pending",
        placed_at=placed_at,
        paid_at=placed_at if paid else None,
    )
    facts = replace(facts, **changes)  # type: ignore[arg-type]
    contact = ContactFacts(platform_customer_id=str(1000 + shopper), email=f"shopper{shopper}@example.com")
    return Normalized(EventKind.ORDER_PLACED, facts.updated_at, contact=contact, order=facts)


def sync(app: Flask, shop_id: int, source: HistorySource) -> SyncRun:
    """Run the sync in a fresh app context, as a job would, and return how it ended."""
    services = app.extensions["storeflow"]
    with app.app_context():
        try:
            return HistorySync(db.session(), services.clock, db.session.commit, db.session.rollback).run(
                shop_id, source
            )
        finally:
            db.session.remove()
