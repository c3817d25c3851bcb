"""Exceptions raised at the webhook edge; each family has a ``reason`` the doors map to a status
(app/web/errors.py)."""

from __future__ import annotations

from app.core.errors import StoreflowError


class WebhookError(StoreflowError):
    """Base of every webhook rejection."""

    reason = "webhook_rejected"


class WebhookVerificationError(WebhookError):
    """The request cannot be shown to come from the platform (401, nothing stored)."""

    reason = "unverified"


class MissingSignatureError(WebhookVerificationError):
    pass


class InvalidSignatureError(WebhookVerificationError):
    pass


class MalformedWebhookError(WebhookError):
    """Signed, but not a request we can store: bad JSON, missing headers, unknown topic (400)."""

    reason = "malformed"


class UnknownShopError(WebhookError):
    """Signed, but for a shop that has not installed (or has uninstalled) the app (404).

    Platforms retry non-2xx answers for hours; with Shopify-managed installs, webhooks can arrive
    before the merchant first opens the app, so a retry later may well find the shop installed.
    """

    reason = "unknown_shop"


class MisboundWebhookError(WebhookVerificationError):
    """Signed, but the body names another shop or installation than the headers claim (401).

    Platforms sign the body, not the headers, so a body re-sent with other headers still verifies:
    a body that says whose it is must say the same as the headers.
    """


class WrongShapeError(MalformedWebhookError):
    """Signed, but the body is not what the platform sends for the claimed topic (400)."""
