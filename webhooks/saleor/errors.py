"""Rejections particular to Saleor deliveries, in the families of ``webhooks.errors``."""

from __future__ import annotations

from webhooks.errors import WebhookError, WebhookVerificationError


class UnknownInstanceError(WebhookVerificationError):
    """``Saleor-Api-Url`` names no installed, allowlisted instance: no key may be fetched for it (401)."""


class SigningKeysUnavailableError(WebhookError):
    """The instance's signing keys could not be fetched; answer 503 so Saleor redelivers later."""

    status = 503
