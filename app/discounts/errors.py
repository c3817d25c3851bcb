"""Why a discount code could not be made; the sender retries the first kind and gives up on the second."""

from __future__ import annotations

from app.core.errors import StoreflowError


class DiscountError(StoreflowError):
    """Base of every failure making a discount code on a platform."""


class DiscountUnavailableError(DiscountError):
    """The platform did not answer, or answered 429/5xx: worth asking again later."""


class DiscountRefusedError(DiscountError):
    """The platform refused the code (no permission, invalid input): retrying cannot help."""
