"""What the flow simulator refuses to run."""

from __future__ import annotations


class SimulationError(ValueError):
    """The simulation cannot run as asked (unknown scenario, no such contact, nothing to start from)."""
