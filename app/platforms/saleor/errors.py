"""Exceptions of the Saleor install side; each says what went wrong and what the caller should answer."""

from __future__ import annotations

from app.core.errors import StoreflowError


class SaleorError(StoreflowError):
    """Base of every failure talking to a Saleor instance or checking what one sent."""


class InvalidApiUrlError(SaleorError, ValueError):
    """The value is not an absolute http(s) URL we can key an installation by."""


class ApiUrlNotAllowedError(SaleorError):
    """The API URL is well-formed but not on the operator's ``SALEOR_ALLOWED_API_URLS``."""


class SaleorApiError(SaleorError):
    """A GraphQL request failed; ``status`` is the HTTP status, None when nothing answered.

    ``code`` is the first GraphQL error's ``extensions.exception.code`` (``PermissionDenied``,
    ``QueryCostError``...), so a caller can tell a missing permission from a query too costly;
    ``retry_after`` is the seconds a 429 asked us to wait, when it said.
    """

    def __init__(
        self,
        message: str,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Tell whether a later retry may succeed (no answer, or a 5xx/429)."""
        return self.status is None or self.status >= 500 or self.status == 429


class RegistrationError(SaleorError):
    """An install request we refuse; ``code`` and the message are what the Saleor dashboard shows.

    The code is also the ``reason`` the install view maps to a status (app/web/errors.py).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = code


class DashboardTokenError(SaleorError):
    """A request from the Saleor dashboard carried no valid token for this installation."""
