"""Rejections particular to Saleor deliveries, in the families of ``webhooks.errors``, and why an
instance's signing keys cannot vouch for a signature (raised by app/platforms/saleor/jwks.py, which
fetches them; read here and by the dashboard token check)."""

from __future__ import annotations

from app.core.errors import StoreflowError
from webhooks.errors import WebhookError, WebhookVerificationError


class UnknownInstanceError(WebhookVerificationError):
    """``Saleor-Api-Url`` names no installed, allowlisted instance: no key may be fetched for it (401)."""


class SigningKeysUnavailableError(WebhookError):
    """The instance's signing keys could not be fetched; answer 503 so Saleor redelivers later."""

    reason = "signing_keys_unavailable"


class JwksError(StoreflowError):
    """The instance's signing keys cannot vouch for a signature."""


class JwksUnavailableError(JwksError):
    """The instance's key set could not be fetched or read; worth retrying later."""


class UnknownSigningKeyError(JwksError):
    """The instance publishes no key with the signature's ``kid``, even after a refetch."""
