"""Refusals at the storefront events endpoint; each ``reason`` maps to the status the shopper's browser
gets (app/web/errors.py)."""

from __future__ import annotations

from app.core.errors import StoreflowError


class StorefrontError(StoreflowError):
    """Base of every refusal."""

    reason = "invalid_events"


class InvalidEventsError(StorefrontError):
    """The body is not a batch of events we accept: wrong shape, type, size or value (400)."""

    reason = "invalid_events"


class UnknownStorefrontError(StorefrontError):
    """The key names no installed shop (404)."""

    reason = "unknown_storefront"


class UnsignedLoginError(StorefrontError):
    """A request that must carry the platform's signature of who is logged in does not (401)."""

    reason = "unsigned_login"


class ForeignOriginError(StorefrontError):
    """The request comes from a page that is not one of the shop's storefronts (403)."""

    reason = "foreign_origin"


class RateLimitedError(StorefrontError):
    """The visitor or the shop sent more events this minute than allowed (429)."""

    reason = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EventsUnavailableError(StorefrontError):
    """Events cannot be taken now (Redis down or the backlog full); they are dropped, not stored (503)."""

    reason = "events_unavailable"
