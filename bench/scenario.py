"""What the fault scenarios share: a throwaway Storeflow on loopback, checkouts to send it, and counts.

Each scenario (bench/fault_*.py, bench/scale_out.py) builds on bench/e2e.py's pieces: a fresh
PostgreSQL database with the abandoned-checkout flow switched on (first reminder ``delay`` seconds
after the checkout, later ones off), gunicorn, ``flask storeflow worker`` processes, the fake
SendGrid, and signed checkout webhooks. Every wait is bounded; every scenario ends with PASS/FAIL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from app.core.clock import utcnow
from bench.e2e import Checkout, Poster


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


__all__ = ["Checkout", "Counts", "Poster", "checkouts", "counts", "eventually", "verdict_line"]
