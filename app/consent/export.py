"""The consent ledger of one contact, as JSON and as CSV, for downloads and the API.

CSV cells that a spreadsheet would read as a formula (a user agent is whatever the browser sent)
are prefixed with an apostrophe, the OWASP advice against CSV injection.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ConsentChange, Contact

COLUMNS = (
    "changed_at",
    "channel",
    "previous",
    "state",
    "source",
    "ip",
    "user_agent",
    "disclosure_version",
    "recorded_at",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def ledger(session: Session, contact: Contact) -> list[ConsentChange]:
    """Return the contact's consent changes, oldest first."""
    return list(
        session.scalars(
            select(ConsentChange).where(ConsentChange.contact_id == contact.id).order_by(ConsentChange.id)
        )
    )


def change_json(change: ConsentChange) -> dict[str, Any]:
    """Return one ledger row as plain JSON."""
    return {
        "changed_at": change.changed_at.isoformat(),
        "channel": change.channel,
        "previous": change.previous,
        "state": change.state,
        "source": change.source,
        "ip": change.ip,
        "user_agent": change.user_agent,
        "disclosure_version": change.disclosure_version,
        "recorded_at": change.recorded_at.isoformat(),
    }


def ledger_json(contact: Contact, changes: list[ConsentChange]) -> dict[str, Any]:
    """Return the contact's ledger as one JSON document naming the contact."""
    return {
        "contact": {"id": contact.id, "email": contact.email, "phone": contact.phone},
        "changes": [change_json(change) for change in changes],
    }


def ledger_csv(changes: list[ConsentChange]) -> str:
    """Return the ledger as CSV with a header row, one change per line."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for change in changes:
        row = change_json(change)
        writer.writerow([_cell(row[column]) for column in COLUMNS])
    return out.getvalue()


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
