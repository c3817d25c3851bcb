"""Send failures, split by what the caller should do next."""

from __future__ import annotations


class SendError(Exception):
    """A message was not delivered to the provider."""


class TransientSendError(SendError):
    """Worth another try later: rate limited (429), provider 5xx, or the network failed."""


class PermanentSendError(SendError):
    """Retrying cannot help: the provider refused the request (4xx other than 429)."""
