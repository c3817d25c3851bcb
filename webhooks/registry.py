"""Which normalizer reads which platform's payloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.ingest.facts import Normalized
from webhooks.saleor.normalize import normalize as normalize_saleor
from webhooks.shopify.normalize import normalize as normalize_shopify

Normalizer = Callable[[str, dict[str, Any], datetime], Normalized]

NORMALIZERS: dict[str, Normalizer] = {"shopify": normalize_shopify, "saleor": normalize_saleor}
