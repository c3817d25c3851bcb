"""Send failures, split by what the caller should do next."""

from __future__ import annotations

from app.core.errors import StoreflowError


class SendError(StoreflowError):
    """A message was not delivered to the provider."""


class TransientSendError(SendError):
    """Worth another try later: rate limited (429), provider 5xx, or the network failed.

    ``unanswered`` says the request may have reached the provider without its answer reaching us (a
    read timeout, a dropped or garbled answer): the provider may have accepted it, so it must be
    asked before the message is sent again.
    """

    def __init__(self, message: str, unanswered: bool = False) -> None:
        super().__init__(message)
        self.unanswered = unanswered


class PermanentSendError(SendError):
    """Retrying cannot help: the provider refused the request (4xx other than 429)."""


class ExpiredSubscriptionError(PermanentSendError):
    """The push service no longer knows this browser subscription (404 or 410): forget it."""

    def __init__(self, message: str, endpoint: str) -> None:
        super().__init__(message)
        self.endpoint = endpoint


class SentLookupError(SendError):
    """Asking the provider whether it accepted a message did not give an answer."""


class LookupUnavailableError(SentLookupError):
    """The provider could not answer now (network, 429, 5xx): ask again later."""


class LookupUnsupportedError(SentLookupError):
    """The provider cannot answer for this account at all (no such API, no permission for it)."""
