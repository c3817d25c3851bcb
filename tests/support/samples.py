"""Load the real public sample payloads bundled in samples/ (see each .src.txt for its source)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def sample(platform: str, name: str) -> dict[str, Any]:
    """Return a fresh copy of a sample, e.g. ``sample("shopify", "orders_paid__shopifydocs-2026-04")``."""
    data: dict[str, Any] = json.loads((SAMPLES / platform / f"{name}.json").read_text())
    return data
