"""What the web answers to each refusal raised below it: one table from a reason to an HTTP status.

The floors below say *why* they refuse (``StoreflowError.reason``); only the doors speak HTTP.
Keeping every status here lets a reader check in one place that a bad signature is a 401 on every
door, and that what a platform should redeliver later is a 5xx.
"""

from __future__ import annotations

from app.core.errors import StoreflowError

STATUS_BY_REASON: dict[str, int] = {
    # Webhook doors (webhooks/errors.py, webhooks/saleor/errors.py): platforms redeliver non-2xx.
    "webhook_rejected": 400,
    "unverified": 401,  # nothing stored: the request cannot be shown to come from the platform
    "malformed": 400,
    "unknown_shop": 404,  # the shop may install soon; a redelivery later may find it
    "signing_keys_unavailable": 503,  # Saleor redelivers later
    # The storefront events endpoint (app/storefront/errors.py).
    "invalid_events": 400,
    "unknown_storefront": 404,
    "unsigned_login": 401,
    "foreign_origin": 403,
    "rate_limited": 429,
    "events_unavailable": 503,
    # Shopify's OAuth install and callback (app/platforms/shopify/errors.py).
    "install_refused": 400,
    "invalid_shop_domain": 400,
    "invalid_hmac": 401,
    "stale_request": 401,
    "invalid_state": 403,
    "code_refused": 400,
    "shopify_unreachable": 502,
    # Saleor's app-token registration (app/platforms/saleor/registration.py): the dashboard shows the code.
    "MISSING_AUTH_TOKEN": 400,
    "MISSING_SALEOR_API_URL": 400,
    "INVALID_SALEOR_API_URL": 400,
    "SALEOR_URL_PROHIBITED": 403,
    "SALEOR_UNREACHABLE": 502,
    "INVALID_AUTH_TOKEN": 401,
    "UNKNOWN_APP_ID": 401,
}


def status_for(error: StoreflowError) -> int:
    """Return the HTTP status a door answers for this refusal."""
    return STATUS_BY_REASON[error.reason]
