"""Which normalizer reads, and which binder binds, which platform's payloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.core.facts import Normalized
from webhooks.binding import Binder
from webhooks.saleor.binding import bind as bind_saleor
from webhooks.saleor.normalize import normalize as normalize_saleor
from webhooks.shopify.binding import bind as bind_shopify
from webhooks.shopify.normalize import normalize as normalize_shopify

Normalizer = Callable[[str, dict[str, Any], datetime], Normalized]

NORMALIZERS: dict[str, Normalizer] = {"shopify": normalize_shopify, "saleor": normalize_saleor}

BINDERS: dict[str, Binder] = {"shopify": bind_shopify, "saleor": bind_saleor}
