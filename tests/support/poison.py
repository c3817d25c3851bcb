"""A poison event for the tests of processing failures: a fault in PostgreSQL itself, fixed on demand.

A CHECK constraint refuses one shopper's checkout row, so processing its webhook raises a real
database error (whose statement and detail carry the shopper's email) every time, until the test
"fixes" the fault by dropping the constraint. Nothing in the app is patched.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import text

from app.core.clock import ManualClock
from app.db import db
from tests.support.samples import sample

POISONED_TOKEN = "poisoned-checkout-token"
POISONED_EMAIL = "pat.poisoned@example.com"
CONSTRAINT = "storeflow_test_poisoned_checkout"

# The documented backoff between attempts; the fifth failed attempt quarantines the event.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=8),
    timedelta(minutes=32),
)


class BrokenCheckouts:
    """Break and fix the checkout table for one shopper."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def break_it(self) -> None:
        self._run(
            f"ALTER TABLE checkout ADD CONSTRAINT {CONSTRAINT} CHECK (email <> '{POISONED_EMAIL}') NOT VALID"
        )

    def fix(self) -> None:
        self._run(f"ALTER TABLE checkout DROP CONSTRAINT IF EXISTS {CONSTRAINT}")

    def _run(self, statement: str) -> None:
        with self.app.app_context(), db.engine.begin() as connection:
            connection.execute(text(statement))


def shopper_checkout(
    clock: ManualClock, token: str, email: str, customer_id: int, **changes: Any
) -> dict[str, Any]:
    """The sample checkout, started now by one shopper who ticked 'email me'."""
    payload = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    payload.update(
        token=token,
        email=email,
        buyer_accepts_marketing=True,
        updated_at=clock.now().isoformat(),
        customer={**payload["customer"], "id": customer_id, "email": email},
    )
    payload.update(changes)
    return payload


def poisoned_checkout(clock: ManualClock) -> dict[str, Any]:
    """The checkout whose row the broken table refuses."""
    return shopper_checkout(clock, POISONED_TOKEN, POISONED_EMAIL, 7001)
