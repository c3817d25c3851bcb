"""Exceptions of the Shopify install side; each carries what the caller needs to answer or retry."""

from __future__ import annotations

from collections.abc import Mapping


class ShopifyError(Exception):
    """Base of every failure talking to Shopify or checking what Shopify sent."""


class InstallRequestError(ShopifyError):
    """An OAuth install or callback request we refuse; ``status`` is what the view answers."""

    status = 400


class InvalidShopDomainError(InstallRequestError):
    """The ``shop`` parameter is not a ``*.myshopify.com`` domain (400)."""

    status = 400


class InvalidHmacError(InstallRequestError):
    """The query-string HMAC does not match under any configured secret (401)."""

    status = 401


class StaleRequestError(InstallRequestError):
    """The signed ``timestamp`` is missing or too old to trust (401)."""

    status = 401


class InvalidStateError(InstallRequestError):
    """The ``state`` nonce is missing or is not the one this browser was given (403)."""

    status = 403


class CodeExchangeError(InstallRequestError):
    """Shopify refused the authorization code (400) or could not be reached (502)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


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
