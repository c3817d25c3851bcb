"""What the fault scenarios share: a throwaway Storeflow on loopback, checkouts to send it, and counts.

Each scenario (bench/fault_*.py, bench/scale_out.py) builds on bench/e2e.py's pieces: a fresh
PostgreSQL database with the abandoned-checkout flow switched on (first reminder ``delay`` seconds
after the checkout, later ones off), gunicorn, ``flask storeflow worker`` processes, the fake
SendGrid, and signed checkout webhooks. Every wait is bounded; every scenario ends with PASS/FAIL.

Reminders are sent in batches (app/jobs/steps.py), so each scenario makes many of them fall due at
one instant (``due_at_once``), more than one batch's worth, and counts at the fake SendGrid what
was lost and what was sent twice (``Delivered``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from app.core.clock import utcnow
from bench.e2e import Checkout, Poster, provider_stats


@dataclass(frozen=True)
class Counts:
    """What the database holds for a run's checkouts."""

    events: int
    processed: int
    checkouts: int
    enrollments: int
    messages: int
    sent: int


def counts(database_url: str, prefix: str) -> Counts:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            """
            SELECT
              (SELECT count(*) FROM webhook_event WHERE event_id LIKE %(event)s),
              (SELECT count(*) FROM webhook_event WHERE event_id LIKE %(event)s AND status = 'processed'),
              (SELECT count(*) FROM checkout WHERE token LIKE %(token)s),
              (SELECT count(*) FROM enrollment WHERE subject_key LIKE %(subject)s),
              (SELECT count(*) FROM message m JOIN enrollment e ON e.id = m.enrollment_id
                WHERE e.subject_key LIKE %(subject)s),
              (SELECT count(*) FROM message m JOIN enrollment e ON e.id = m.enrollment_id
                WHERE e.subject_key LIKE %(subject)s AND m.status = 'sent')
            """,
            {"event": f"event-{prefix}-%", "token": f"{prefix}-%", "subject": f"checkout:{prefix}-%"},
        ).fetchone()
    assert row is not None
    return Counts(*(int(value) for value in row))


def checkouts(prefix: str, count: int) -> list[Checkout]:
    """Checkouts of distinct shoppers, dated now (their reminder falls due ``delay`` s later)."""
    now = utcnow()
    return [Checkout(f"{prefix}-{n}", now) for n in range(count)]


def due_at_once(prefix: str, count: int, due: datetime, delay: int) -> list[Checkout]:
    """Checkouts of distinct shoppers whose first reminder (``delay`` s after each) falls due at ``due``."""
    anchor = due - timedelta(seconds=delay)
    return [Checkout(f"{prefix}-{n}", anchor) for n in range(count)]


@dataclass(frozen=True)
class Delivered:
    """What the fake SendGrid took of ``expected`` reminders: each must arrive once."""

    expected: int
    accepted: int
    references: int
    duplicates: dict[str, int]

    @classmethod
    def of(cls, stats: dict[str, Any], expected: int) -> Delivered:
        return cls(expected, stats["accepted"], stats["references"], stats["duplicates"])

    @property
    def lost(self) -> int:
        return max(self.expected - self.references, 0)

    @property
    def duplicated(self) -> int:
        """Mails accepted beyond the first of their message."""
        return sum(n - 1 for n in self.duplicates.values())

    @property
    def exactly_once(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.accepted == self.expected

    def describe(self) -> str:
        return (
            f"{self.accepted} mails for {self.references} messages of {self.expected}: "
            f"{self.lost} lost, {self.duplicated} duplicate"
        )


def still_leased(database_url: str, lease: timedelta) -> tuple[int, int]:
    """Return (active enrollments under a lease now, messages ``sending``): what a dead worker left."""
    now = utcnow().replace(tzinfo=None)
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            """
            SELECT
              (SELECT count(*) FROM enrollment
                WHERE state = 'active' AND next_run_at > %(now)s AND next_run_at <= %(end)s),
              (SELECT count(*) FROM message WHERE status = 'sending')
            """,
            {"now": now, "end": now + lease + timedelta(minutes=1)},
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def expire_leases(database_url: str, lease: timedelta) -> tuple[int, int]:
    """Do to the rows what waiting out the lease would, while no worker runs; return what moved.

    Every lease still running (an active enrollment due within ``lease`` from now: the later
    reminders are a month off) and every ``sending`` claim moves ``lease`` into the past, as if
    that much time had passed: the next worker takes the claimer for dead and settles its messages
    by asking the provider. Only safe with every worker stopped, or a live batch's claims would be
    taken over while its calls are in flight.
    """
    now = utcnow().replace(tzinfo=None)
    with psycopg.connect(database_url) as conn:
        leases = conn.execute(
            "UPDATE enrollment SET next_run_at = next_run_at - %(lease)s "
            "WHERE state = 'active' AND next_run_at > %(now)s AND next_run_at <= %(end)s",
            {"lease": lease, "now": now, "end": now + lease + timedelta(minutes=1)},
        ).rowcount
        claims = conn.execute(
            "UPDATE message SET claimed_at = claimed_at - %(lease)s WHERE status = 'sending'",
            {"lease": lease},
        ).rowcount
    return leases, claims


def settle_down(sent: Callable[[], int], sendgrid: str, seconds: float) -> None:
    """Wait until nothing moves: no call in flight at the fake SendGrid and no send for 6 s.

    What is then left unsent is held by the leases of workers that died (or lost their database)
    in the middle of a batch.
    """
    deadline = time.monotonic() + seconds
    quiet_since, last = time.monotonic(), -1
    while time.monotonic() < deadline:
        now_sent = sent()
        if now_sent != last or provider_stats(sendgrid)["in_flight"]:
            quiet_since, last = time.monotonic(), now_sent
        elif time.monotonic() - quiet_since >= 6:
            return
        time.sleep(1.0)


def settled_by_lookup(database_url: str, prefix: str) -> dict[str, int]:
    """Count a run's messages recovery settled: marked sent as SendGrid had them, or sent again."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            """
            SELECT
              count(*) FILTER (WHERE m.timeline::text LIKE '%%had accepted attempt%%'),
              count(*) FILTER (WHERE m.timeline::text LIKE '%%has no record of attempt%%')
            FROM message m JOIN enrollment e ON e.id = m.enrollment_id
            WHERE e.subject_key LIKE %s
            """,
            (f"checkout:{prefix}-%",),
        ).fetchone()
    assert row is not None
    return {"confirmed": int(row[0]), "resent": int(row[1])}


def sending_left(database_url: str) -> int:
    """Messages still ``sending``: claimed, their provider's answer never recorded."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM message WHERE status = 'sending'").fetchone()
    return int(row[0]) if row else 0


def eventually(condition: Callable[[], bool], seconds: float, every: float = 0.5) -> bool:
    """Poll until the condition holds or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def verdict_line(name: str, passed: bool, detail: str) -> str:
    return f"{'PASS' if passed else 'FAIL'}  {name}: {detail}"


def report(lines: list[str], result: dict[str, Any]) -> None:
    """Print the verdict lines and the RESULT line; exit 1 unless every line passed."""
    print("\n".join(lines))
    print("RESULT " + json.dumps(result))
    if not all(line.startswith("PASS") for line in lines):
        raise SystemExit(1)


__all__ = [
    "Checkout",
    "Counts",
    "Delivered",
    "Poster",
    "checkouts",
    "counts",
    "due_at_once",
    "eventually",
    "expire_leases",
    "report",
    "sending_left",
    "settle_down",
    "settled_by_lookup",
    "still_leased",
    "verdict_line",
]
