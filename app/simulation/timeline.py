"""The simulator's result: a timeline of what would happen, and how it reads as text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.db.models.messaging import FAILED, PENDING, SENT, SKIPPED
from flows.definitions import Flow


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: when, what kind of thing, which step or event, and why."""

    at: datetime
    kind: str  # event, enrolled, sent, deferred, skipped, failed, note, action, exited, completed, waiting
    what: str
    detail: str = ""


@dataclass(frozen=True)
class Simulation:
    flow: Flow
    shopper: str
    start: datetime
    entries: list[Entry]
    notes: list[str] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for entry in self.entries if entry.kind == kind)


def message_kind(status: str, detail: str | None) -> str | None:
    """Classify one recorded status change of a message for the timeline (None: not worth a line)."""
    if status == SENT:
        return "sent"
    if status == SKIPPED:
        return "skipped"
    if status == FAILED:
        return "failed"
    if status == PENDING and detail:
        return "deferred" if "deferred" in detail else "note"
    return None


def timeline_text(simulation: Simulation) -> list[str]:
    """Lay the timeline out as lines: offset from the start, kind, step or event, and why."""
    lines = [f"Simulating {simulation.flow.name} for {simulation.shopper}", *simulation.notes]
    lines.append(f"start {simulation.start:%Y-%m-%d %H:%M} UTC; nothing is sent and nothing is kept")
    for entry in simulation.entries:
        offset = _offset(entry.at - simulation.start)
        detail = f" — {entry.detail}" if entry.detail else ""
        lines.append(f"{offset:>10}  {entry.kind:<9} {entry.what}{detail}")
    counts = ", ".join(f"{simulation.count(kind)} {kind}" for kind in ("sent", "deferred", "skipped"))
    lines.append(f"would be: {counts}")
    return lines


def _offset(delta: timedelta) -> str:
    """Show time since the start as +Dd HH:MM."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 1440)
    return f"+{days}d {rest // 60:02d}:{rest % 60:02d}"
