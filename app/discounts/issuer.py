"""The one thing a platform must do for a discount: create a code we already chose and stored."""

from __future__ import annotations

from typing import Protocol

from app.db.models import DiscountCode, Shop


class DiscountIssuer(Protocol):
    def create(self, shop: Shop, code: DiscountCode) -> str:
        """Create ``code`` on the platform (or find it, if an earlier attempt did) and return its id.

        Raise DiscountUnavailableError when worth retrying, DiscountRefusedError when not.
        """
