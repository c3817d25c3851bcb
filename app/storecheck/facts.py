"""What the live store says, in the platform-neutral shape the check decides on and the cache keeps."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True)
class VariantFacts:
    """A variant as the store sees it now: can it be bought, and at what price (None: unknown)."""

    available: bool
    price: Decimal | None

    def to_json(self) -> dict[str, Any]:
        """Return the facts as JSON for the cache."""
        return {"available": self.available, "price": str(self.price) if self.price is not None else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VariantFacts:
        """Rebuild the facts from the cache."""
        price = data.get("price")
        return cls(available=bool(data.get("available")), price=Decimal(price) if price else None)


class LiveStore(Protocol):
    """One platform's answers; each method raises StoreUnreachableError when the store cannot say."""

    def checkout_ordered(self, token: str) -> bool | None:
        """Tell whether the checkout became an order (or is gone); None when this store cannot tell."""
        ...

    def cart_ordered(self, token: str) -> bool | None:
        """Tell whether an order came from the cart; None when this store cannot tell."""
        ...

    def variant(self, variant_id: str) -> VariantFacts:
        """Return the variant's availability and price now (deleted: unavailable)."""
        ...
