"""Exceptions of the Shopify install side; each carries what the caller needs to answer or retry.

An install refusal says why in its ``reason``; the install views map it to a status
(app/web/errors.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from app.core.errors import StoreflowError


class ShopifyError(StoreflowError):
    """Base of every failure talking to Shopify or checking what Shopify sent."""


class InstallRequestError(ShopifyError):
    """An OAuth install or callback request we refuse."""

    reason = "install_refused"


class InvalidShopDomainError(InstallRequestError):
    """The ``shop`` parameter is not a ``*.myshopify.com`` domain (400)."""

    reason = "invalid_shop_domain"


class InvalidHmacError(InstallRequestError):
    """The query-string HMAC does not match under any configured secret (401)."""

    reason = "invalid_hmac"


class StaleRequestError(InstallRequestError):
    """The signed ``timestamp`` is missing or too old to trust (401)."""

    reason = "stale_request"


class InvalidStateError(InstallRequestError):
    """The ``state`` nonce is missing or is not the one this browser was given (403)."""

    reason = "invalid_state"


class CodeExchangeError(InstallRequestError):
    """Shopify refused the authorization code (400) or could not be reached (502)."""

    def __init__(self, message: str, reason: str = "code_refused") -> None:
        super().__init__(message)
        self.reason = reason


class SessionTokenError(ShopifyError):
    """An App Bridge session token was missing or invalid; answer with ``status`` and ``headers``.

    The headers matter: ``X-Shopify-Retry-Invalid-Session-Request`` tells App Bridge to fetch a
    fresh token and retry, and a 302's ``Location`` sends a document request to the patch page.
    """

    def __init__(self, message: str, status: int = 401, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = dict(headers or {})


class ShopifyAuthError(ShopifyError):
    """The shop has no usable access token: the merchant must open the app again to re-authorize."""


class ShopifyApiError(ShopifyError):
    """An Admin API call failed (HTTP error, GraphQL ``errors`` or ``userErrors``); may be retried."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
