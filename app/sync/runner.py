"""Run a shop's history sync: read each resource's pages from its platform and merge them as the past.

Each page is merged with the webhook rules (app/ingest/apply.py, ``past=True``) and its cursor is
saved in the same transaction, so a crash resumes after the last stored page without storing one
twice, and a webhook that arrives during the sync is judged against the synced rows by the same
stale-update rules (a newer ``updated_at`` or consent time wins, whichever came first). The sync
never speaks: the merge returns no trigger events for the past, so nothing enrolls and no message
about an old order or checkout is ever written.

The edge hands in ``commit`` and ``rollback`` (a job's or the CLI's session), as commits are theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.core.clock import Clock
from app.db.models import HistorySyncState
from app.db.reads import shared_reads
from app.ingest.apply import apply_normalized
from app.ingest.preload import preload_page
from app.shops.history import (
    HistoryAccessError,
    HistoryNotReadyError,
    HistoryPage,
    HistoryResource,
    HistorySource,
)
from app.sync.state import RESOURCES, Progress, SyncStatus, progress_of, start_sync, states_of

NOT_OFFERED = "This platform does not offer this part of the history."
ERROR_TEXT = 500
# A run that has stored no page for this long is taken for dead (its worker was killed): the sweep
# starts another, which resumes at the cursor. Each stored page moves the line on.
STALE_RUN = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class SyncRun:
    """How one run ended: finished, or waiting ``retry_after`` seconds for the platform."""

    finished: bool
    retry_after: float | None = None


class HistorySync:
    """Merge one shop's history, page by page, resuming where the last run stopped."""

    def __init__(
        self,
        session: Session,
        clock: Clock,
        commit: Callable[[], None],
        rollback: Callable[[], None],
        on_page: Callable[[Progress], None] | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.commit = commit
        self.rollback = rollback
        self.on_page = on_page

    def run(self, shop_id: int, source: HistorySource, since: datetime | None = None) -> SyncRun:
        """Sync every resource not done yet; raise what the platform raised unless it is a wait."""
        states = states_of(self.session, shop_id)
        if len(states) < len(RESOURCES):
            start_sync(self.session, shop_id, self.clock.now())
            states = states_of(self.session, shop_id)
        for row in states.values():
            if row.status == SyncStatus.PENDING.value:
                row.retry_at = None  # this run takes them; the resource it stops at says when to look again
        for resource in RESOURCES:
            row = states[resource]
            if SyncStatus(row.status) in {SyncStatus.DONE, SyncStatus.NO_ACCESS}:
                continue
            if resource not in source.resources:
                self._finish(row, notice=NOT_OFFERED)
                self.commit()
                continue
            waiting = self._resource(shop_id, row, resource, source, since)
            if waiting is not None:
                return SyncRun(finished=False, retry_after=waiting)
        return SyncRun(finished=True)

    def _resource(
        self,
        shop_id: int,
        row: HistorySyncState,
        resource: HistoryResource,
        source: HistorySource,
        since: datetime | None,
    ) -> float | None:
        """Read one resource to its end; return the seconds to wait when the platform is not ready."""
        row.status = SyncStatus.RUNNING.value
        row.started_at = row.started_at or self.clock.now()
        row.retry_at = self.clock.now() + STALE_RUN
        self.commit()
        try:
            for page in source.pages(resource, row.cursor, since):
                self._store(shop_id, row, page)
                if page.cursor is None:
                    return None
            self._finish(row)
            self.commit()
        except HistoryNotReadyError as exc:
            self.rollback()
            row.status = SyncStatus.WAITING.value
            row.retry_at = self.clock.now() + timedelta(seconds=exc.retry_after)
            self.commit()
            return exc.retry_after
        except HistoryAccessError as exc:
            self.rollback()
            self._finish(row, status=SyncStatus.NO_ACCESS, notice=str(exc)[:ERROR_TEXT])
            self.commit()
        except Exception as exc:
            self.rollback()
            row.status = SyncStatus.FAILED.value
            row.errors += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:ERROR_TEXT]
            row.retry_at = self.clock.now() + min(MAX_BACKOFF, timedelta(minutes=2 ** min(row.errors, 6)))
            self.commit()
            raise
        return None

    def _store(self, shop_id: int, row: HistorySyncState, page: HistoryPage) -> None:
        """Merge one page and move the cursor past it, in one transaction."""
        with shared_reads(self.session):
            preload_page(self.session, shop_id, page.records)
            for record in page.records:
                apply_normalized(self.session, shop_id, record, past=True)
        row.cursor = page.cursor
        row.done += len(page.records)
        row.errors += page.skipped
        if page.total is not None:
            row.total = page.total
        if page.notice:
            row.notice = page.notice
        row.updated_at = self.clock.now()
        row.retry_at = row.updated_at + STALE_RUN
        if page.cursor is None:
            self._finish(row)
        self.commit()
        if self.on_page is not None:
            self.on_page(progress_of(row, self.clock.now()))

    def _finish(
        self, row: HistorySyncState, status: SyncStatus = SyncStatus.DONE, notice: str | None = None
    ) -> None:
        row.status = status.value
        row.cursor = None
        row.retry_at = None
        row.finished_at = self.clock.now()
        row.updated_at = row.finished_at
        row.notice = notice or row.notice
