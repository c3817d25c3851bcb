"""Holdout groups: a share of a flow's enrollments is sent nothing, to measure what the flow adds.

Assignment reuses the A/B split's stable hash (``flows.ab.bucket``) under its own salt, so a shopper
is always in, or always out of, a flow's holdout, independently of the side of any A/B test.
"""

from __future__ import annotations

from flows.ab import bucket

MAX_HOLDOUT_PERCENT = 50
# Not a step name (step settings are identifiers), so no A/B test can share this shuffle.
HOLDOUT_SALT = "~holdout"


def in_holdout(flow_key: str, contact_id: int, percent: int) -> bool:
    """Tell whether this contact's enrollments in the flow are held out at the given share."""
    return percent > 0 and bucket(flow_key, HOLDOUT_SALT, contact_id) < percent
