"""The demo shop's history sync: the bundled files a Shopify bulk operation would write, read by
Shopify's reader and merged by the real runner.

The demo has no Shopify to run a bulk operation in, so the operation's part (start it, poll it,
download its file) is skipped: the files in samples/shopify/history/ are read as the downloaded
file is (``objects``, ``record_of``), page by page, and ``HistorySync`` merges them as the job does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from app.core.clock import Clock
from app.core.facts import NormalizationError, Normalized
from app.platforms.shopify.bulk_file import BulkObject, objects
from app.platforms.shopify.history_records import record_of
from app.shops.history import HistoryPage, HistoryResource

HISTORY = Path(__file__).resolve().parent.parent / "samples" / "shopify" / "history"


class BundledHistory:
    """The demo shop's past, one page per resource, from its bundled JSONL files."""

    resources: tuple[HistoryResource, ...] = tuple(HistoryResource)

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def pages(
        self, resource: HistoryResource, cursor: str | None, since: datetime | None
    ) -> Iterator[HistoryPage]:
        records: list[Normalized] = []
        skipped = 0
        with (HISTORY / f"{resource.value}.jsonl").open("rb") as lines:
            for found in objects(lines, int(cursor or 0)):
                try:
                    if not isinstance(found, BulkObject):
                        raise NormalizationError(f"line {found.line} unreadable")
                    records.append(record_of(resource, found, self.clock.now()))
                except NormalizationError:
                    skipped += 1
        yield HistoryPage(tuple(records), None, total=len(records), skipped=skipped)


def sync_history(app: Any, shop_id: int) -> None:
    """Sync the shop's bundled history and say what it stored, and that it sent nothing."""
    from app.db import db
    from app.sync.runner import HistorySync

    clock = app.extensions["storeflow"].clock
    with app.app_context():
        HistorySync(db.session(), clock, db.session.commit, db.session.rollback).run(
            shop_id, BundledHistory(clock)
        )
        db.session.remove()
    report_history(app, shop_id, "samples/shopify/history/ (bulk operation JSONL)")


def report_history(app: Any, shop_id: int, source: str) -> None:
    """Say what the shop's history sync stored, and that it sent nothing about the past."""
    from sqlalchemy import func, select

    from app.db import db
    from app.db.models import Enrollment, Message
    from app.sync.state import shop_progress

    clock = app.extensions["storeflow"].clock
    with app.app_context():
        progress = shop_progress(db.session(), shop_id, clock.now())
        synced = ", ".join(f"{p.resource.value}: {p.done}" for p in progress)
        messages = db.session.scalar(select(func.count(Message.id)).where(Message.shop_id == shop_id))
        enrolled = db.session.scalar(select(func.count(Enrollment.id)).where(Enrollment.shop_id == shop_id))
        db.session.remove()
    print(
        f"[setup] shop {shop_id}'s history synced from {source}: "
        f"{synced}; messages about the past: {messages}, enrollments: {enrolled}"
    )
