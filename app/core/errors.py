"""The root of every error Storeflow raises on purpose.

Domain errors say *why* (a ``reason`` a log line and a test can read); they never carry an HTTP
status. The web layer maps them to responses at the edge, so one ``except StoreflowError`` at a job
or view boundary tells a known refusal from a bug.
"""


class StoreflowError(Exception):
    """Base of all Storeflow errors. ``reason`` is a short, stable, machine-readable word."""

    reason: str = "error"
