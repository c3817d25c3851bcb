"""What the flow simulator refuses to run."""

from __future__ import annotations

from app.core.errors import StoreflowError


class SimulationError(StoreflowError, ValueError):
    """The simulation cannot run as asked (unknown scenario, no such contact, nothing to start from)."""
