"""Refusals at the storefront events endpoint; each carries the status the shopper's browser gets."""

from __future__ import annotations


class StorefrontError(Exception):
    """Base of every refusal; ``status`` is what the endpoint answers."""

    status = 400


class InvalidEventsError(StorefrontError):
    """The body is not a batch of events we accept: wrong shape, type, size or value (400)."""


class UnknownStorefrontError(StorefrontError):
    """The key names no installed shop (404)."""

    status = 404


class UnsignedLoginError(StorefrontError):
    """A request that must carry the platform's signature of who is logged in does not (401)."""

    status = 401


class ForeignOriginError(StorefrontError):
    """The request comes from a page that is not one of the shop's storefronts (403)."""

    status = 403


class RateLimitedError(StorefrontError):
    """The visitor or the shop sent more events this minute than allowed (429)."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EventsUnavailableError(StorefrontError):
    """Events cannot be taken now (Redis down or the backlog full); they are dropped, not stored (503)."""

    status = 503
