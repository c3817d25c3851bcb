"""Each shop's history sync as the admin and the CLI see it: per resource, how far, how fast, what failed.

``start_sync`` (re)opens a sync from the start: the merge rules make a second pass over the same
records harmless, so "sync again" needs no bookkeeping of what the first pass stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import HistorySyncState
from app.shops.history import HistoryResource

RESOURCES = tuple(HistoryResource)


class SyncStatus(StrEnum):
    PENDING = "pending"  # asked for, not begun
    RUNNING = "running"
    WAITING = "waiting"  # the platform prepares the records (a bulk operation runs)
    DONE = "done"
    NO_ACCESS = "no_access"  # the platform will not let us read it; the notice says why
    FAILED = "failed"  # the last attempt raised; the next attempt resumes at the cursor


ACTIVE = frozenset({SyncStatus.PENDING, SyncStatus.RUNNING, SyncStatus.WAITING, SyncStatus.FAILED})


def states_of(session: Session, shop_id: int) -> dict[HistoryResource, HistorySyncState]:
    """Return the shop's sync rows by resource (none before its first sync)."""
    rows = session.scalars(select(HistorySyncState).where(HistorySyncState.shop_id == shop_id))
    return {HistoryResource(row.resource): row for row in rows if row.resource in RESOURCES}


def start_sync(session: Session, shop_id: int, now: datetime) -> bool:
    """Open a sync of every resource from the start; False when one is already under way."""
    states = states_of(session, shop_id)
    if any(SyncStatus(row.status) in ACTIVE for row in states.values()):
        return False
    for resource in RESOURCES:
        row = states.get(resource)
        if row is None:
            row = HistorySyncState(shop_id=shop_id, resource=resource.value)
            session.add(row)
        row.status = SyncStatus.PENDING.value
        row.cursor = None
        row.done = 0
        row.total = None
        row.errors = 0
        row.last_error = None
        row.notice = None
        row.started_at = None
        row.finished_at = None
        row.retry_at = now  # picked up by the sweep should the job that was queued be lost
        row.updated_at = now
    session.flush()
    return True


def claim_due(session: Session, now: datetime, hold: timedelta) -> list[int]:
    """Return the shops whose sync should run now (waited enough, failed, or left running).

    Their ``retry_at`` moves ``hold`` on, so the next sweep does not queue them again while the
    run it queued now has not begun.
    """
    due = (
        HistorySyncState.retry_at <= now,
        HistorySyncState.status.in_([status.value for status in ACTIVE]),
    )
    shops = list(session.scalars(select(HistorySyncState.shop_id).where(*due).distinct()))
    if shops:
        session.execute(update(HistorySyncState).where(*due).values(retry_at=now + hold))
    return shops


def give_up(session: Session, shop_id: int, now: datetime, notice: str) -> None:
    """Settle every unfinished resource as unreadable (the shop holds no token to read with)."""
    session.execute(
        update(HistorySyncState)
        .where(
            HistorySyncState.shop_id == shop_id,
            HistorySyncState.status.in_([status.value for status in ACTIVE]),
        )
        .values(status=SyncStatus.NO_ACCESS.value, notice=notice, retry_at=None, finished_at=now)
    )


def waiting_on_platform(session: Session, shop_id: int) -> bool:
    """Tell whether the shop's sync waits for its platform (a webhook saying "ready" should wake it)."""
    found = session.scalars(
        select(HistorySyncState.id).where(
            HistorySyncState.shop_id == shop_id, HistorySyncState.status == SyncStatus.WAITING.value
        )
    ).first()
    return found is not None


@dataclass(frozen=True)
class Progress:
    """One resource's progress, in the figures a progress bar shows."""

    resource: HistoryResource
    status: SyncStatus
    done: int
    total: int | None
    errors: int
    last_error: str | None
    notice: str | None
    rate: float | None  # records a second since the resource started
    eta: timedelta | None

    @property
    def percent(self) -> int | None:
        """How much of the resource is read, 0 to 100; None while the platform has not said how much."""
        if self.status == SyncStatus.DONE:
            return 100
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)


def progress_of(row: HistorySyncState, now: datetime) -> Progress:
    """Derive the rate and the time left from the row's counts and times."""
    rate = eta = None
    if row.started_at is not None and row.done:
        elapsed = ((row.finished_at or now) - row.started_at).total_seconds()
        rate = row.done / elapsed if elapsed > 0 else None
    status = SyncStatus(row.status)
    if rate and row.total and row.total > row.done and status != SyncStatus.DONE:
        eta = timedelta(seconds=round((row.total - row.done) / rate))
    return Progress(
        resource=HistoryResource(row.resource),
        status=status,
        done=row.done,
        total=row.total,
        errors=row.errors,
        last_error=row.last_error,
        notice=row.notice,
        rate=rate,
        eta=eta,
    )


def shop_progress(session: Session, shop_id: int, now: datetime) -> list[Progress]:
    """Return the progress of each resource the shop's sync has, in reading order."""
    states = states_of(session, shop_id)
    return [progress_of(states[resource], now) for resource in RESOURCES if resource in states]
