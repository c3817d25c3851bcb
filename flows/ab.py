"""A/B splits: each contact lands on the same side of a step's test every time, at random across contacts.

The side comes from a hash of (flow, step, contact), not from a random draw stored somewhere, so a
retried step, a re-run job or a second enrollment of the same shopper gets the same variant, and
the shares converge on the configured percentage.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flows.definitions import Send

A = "A"
B = "B"


@dataclass(frozen=True)
class Variant:
    name: str | None  # None: the step has no A/B test
    template: str


def bucket(flow_key: str, step_setting: str, contact_id: int) -> int:
    """Return the contact's stable bucket (0-99) for this step's test."""
    digest = hashlib.sha256(f"{flow_key}:{step_setting}:{contact_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def variant_for(flow_key: str, step: Send, contact_id: int, percent_b: int) -> Variant:
    """Pick the side of the step's A/B test this contact gets; no test means the step's own template."""
    if step.variant_b is None:
        return Variant(None, step.template)
    if bucket(flow_key, step.setting, contact_id) < percent_b:
        return Variant(B, step.variant_b)
    return Variant(A, step.template)
