"""Tell a secret that would let an outsider in from one that would not, before production starts.

``SECRET_KEY`` signs admin login links: with a key that is published (the development default, the
demo's, the tests') or guessable (short, or one character repeated), anyone can mint a link that
opens a shop's admin. ``TOKEN_ENCRYPTION_KEY`` guards every platform token at rest the same way.
No import of app code here: app/core/config.py uses it while it is being built.
"""

from __future__ import annotations

from collections.abc import Iterable

MIN_LENGTH = 32
# Fewer distinct characters than this is a pattern, not a random secret ("k" * 64, "abab…").
MIN_DISTINCT_CHARACTERS = 8
# Keys written in this repository (demo and tests): public, whatever their length.
PUBLISHED = frozenset({"demo-secret-key", "test-secret-key", "change-me", "changeme", "secret"})


def weakness(value: str, published: Iterable[str] = ()) -> str | None:
    """Say why a secret is unfit for production, or None when it is fit (never echo the value)."""
    if value in PUBLISHED or value in set(published):
        return "is a published key (development, demo or test)"
    if len(value) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return "is a repeated pattern, not a random secret"
    return None
