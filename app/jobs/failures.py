"""What becomes of a stored webhook whose processing raised: retried with backoff, then quarantined.

A raise is taken for a fault on our side (the database refused a row, a bug): the event's
transaction was rolled back, so trying again later is safe, and once the fault is fixed a replay
(app/jobs/quarantine.py) processes it as if it had just arrived. A payload the normalizer refuses
is not retried at all (``rejected``, app/jobs/processing.py): it would only fail again.

The reason kept and logged names the exception, never its data: SQLAlchemy's message carries the
failing statement's parameters and PostgreSQL's detail the failing row, both with shopper emails
and phones in them, so only PostgreSQL's primary message is kept, scrubbed of anything address-like.
"""

from __future__ import annotations

import logging
import re
import traceback
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from app.core.clock import Clock
from app.db.models import WebhookEvent
from app.db.models.inbox import QUARANTINED

log = logging.getLogger(__name__)

# Waits between attempts (the same rhythm as a provider's retries); the fifth failure quarantines.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=8),
    timedelta(minutes=32),
)
MAX_EVENT_ATTEMPTS = len(RETRY_DELAYS) + 1
REASON_LENGTH = 500
PROJECT_ROOT = Path(__file__).resolve().parents[2]

EMAIL_LIKE = re.compile(r"[^\s@'\"(),<>\[\]]+@[^\s@'\"(),<>\[\]]+")
PHONE_LIKE = re.compile(r"\+\d[\d ().-]{5,}\d")


def failure_reason(exc: BaseException) -> str:
    """Name what went wrong, without the data it went wrong on."""
    name = type(exc).__name__
    if isinstance(exc, StatementError) and exc.orig is not None:
        orig = exc.orig
        diag = getattr(orig, "diag", None)
        primary = getattr(diag, "message_primary", None) if diag is not None else None
        message = primary or str(orig)
        name = f"{name} ({type(orig).__name__})"
    else:
        message = str(exc)
    first_line = message.strip().splitlines()[0] if message.strip() else ""
    scrubbed = PHONE_LIKE.sub("<number>", EMAIL_LIKE.sub("<address>", first_line))
    return f"{name}: {scrubbed}"[:REASON_LENGTH] if scrubbed else name


def raised_at(exc: BaseException) -> str:
    """Return the last line of our own code the exception passed (path:line in function), for the log.

    The innermost frame is usually inside a library (psycopg's cursor); the line of ours that called
    it is where a fix starts.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [frame for frame in frames if _is_ours(frame.filename)] or frames
    if not ours:
        return "an unknown place"
    frame = ours[-1]
    path = Path(frame.filename)
    shown = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
    return f"{shown}:{frame.lineno} in {frame.name}"


def _is_ours(filename: str) -> bool:
    path = Path(filename)
    return path.is_relative_to(PROJECT_ROOT) and "site-packages" not in path.parts


def record_failure(session: Session, event_id: int, exc: BaseException, clock: Clock) -> WebhookEvent | None:
    """Count a failed attempt: hold the event back for its backoff, or quarantine it after the last.

    The caller commits. An event already settled (it failed after its own commit) is left alone.
    """
    event = session.get(WebhookEvent, event_id)
    if event is None or event.processed_at is not None:
        return None
    now = clock.now()
    reason = failure_reason(exc)
    event.attempts += 1
    event.error = reason
    event.dispatched_at = None  # no job holds it any more: the relay decides when it goes again
    where = raised_at(exc)
    if event.attempts >= MAX_EVENT_ATTEMPTS:
        event.status = QUARANTINED
        event.processed_at = now
        event.retry_at = None
        log.error(
            "webhook %s (%s %s) quarantined after %d attempts, raised at %s: %s",
            event.id,
            event.platform,
            event.topic,
            event.attempts,
            where,
            reason,
        )
    else:
        # A fault lasts in wall-clock time: wait that long, expressed in flow time (the demo's is faster).
        event.retry_at = now + RETRY_DELAYS[event.attempts - 1] * clock.speedup
        log.warning(
            "webhook %s (%s %s) attempt %d of %d failed, retrying at %s; raised at %s: %s",
            event.id,
            event.platform,
            event.topic,
            event.attempts,
            MAX_EVENT_ATTEMPTS,
            event.retry_at.isoformat(),
            where,
            reason,
        )
    log.debug("webhook %s traceback", event_id, exc_info=exc)
    return event
