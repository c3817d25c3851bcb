"""POST /webhooks/saleor: identify the instance, verify the JWS, store once, answer. Processing is later.

Saleor allows 18 s and retries only timeouts and 5xx (up to 5 times over about 5 minutes), never
3xx/4xx. So: 200 once stored (or already stored), 503 when we want the delivery again (database
down, the instance's signing keys unreachable), 4xx only for what a retry cannot fix. Keys are only
ever fetched for an installed instance on the operator's allowlist.

Dedupe key: Saleor sends no event or delivery id. A retry resends the payload stored when the
event happened, byte for byte, and every query asks for ``issuedAt`` (set when the event is
generated), so SHA-256 of (event name, body) is the same for every retry of one event and differs
between events. The signature is not used: it changes if Saleor rotates its key between retries.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.extensions import csrf
from app.ingest.facts import NormalizationError
from app.saleor.errors import ApiUrlNotAllowedError, InvalidApiUrlError
from app.saleor.installation import API_URL_HEADER, PLATFORM, allowed_api_url
from app.services import current_services
from webhooks.errors import MalformedWebhookError, WebhookError
from webhooks.inbox import InboxUnavailableError, IncomingEvent, ShopRef
from webhooks.payload import decode_json_object, opt_datetime
from webhooks.saleor.errors import UnknownInstanceError
from webhooks.saleor.events import EVENTS
from webhooks.saleor.verify import SIGNATURE_HEADER, SaleorWebhookVerifier

log = logging.getLogger(__name__)
bp = Blueprint("saleor_webhooks", __name__)

EVENT_HEADER = "Saleor-Event"
SCHEMA_VERSION_HEADER = "Saleor-Schema-Version"
MAX_HEADER_LENGTH = 255


def dedupe_key(event: str, body: bytes) -> str:
    """Name one Saleor event across its redeliveries (see the module docstring)."""
    return hashlib.sha256(event.encode() + b"\n" + body).hexdigest()


@bp.post("/webhooks/saleor")
@csrf.exempt
def receive() -> tuple[Response, int]:
    """Accept one Saleor webhook delivery."""
    event = request.headers.get(EVENT_HEADER, "")[:MAX_HEADER_LENGTH].strip().lower()
    api_url = request.headers.get(API_URL_HEADER, "")[:MAX_HEADER_LENGTH].strip()
    try:
        raw = request.get_data(cache=False)
        api_url, shop = _installation(api_url)
        services = current_services()
        SaleorWebhookVerifier(services.saleor_jwks).verify(
            api_url, raw, request.headers.get(SIGNATURE_HEADER)
        )
        outcome = _store(raw, event, shop)
    except RequestEntityTooLarge:
        log.warning(
            "saleor webhook rejected (413): body over %s bytes, event=%r instance=%r",
            current_services().config.webhook_max_bytes,
            event,
            api_url,
        )
        return jsonify(error="body too large"), 413
    except InboxUnavailableError as exc:
        log.error(
            "saleor webhook not stored (503, Saleor will retry): %s, event=%r instance=%r",
            exc,
            event,
            api_url,
        )
        return jsonify(error="temporarily unavailable"), 503
    except WebhookError as exc:
        log.warning("saleor webhook rejected (%s): %s, event=%r instance=%r", exc.status, exc, event, api_url)
        return jsonify(error=str(exc)), exc.status
    return jsonify(status=outcome), 200


def _installation(raw_api_url: str) -> tuple[str, ShopRef]:
    """Return the installed, allowlisted instance named by ``Saleor-Api-Url``; nothing else is trusted."""
    if not raw_api_url:
        raise UnknownInstanceError(f"{API_URL_HEADER} header is missing")
    try:
        api_url = allowed_api_url(current_services().config, raw_api_url)
    except (InvalidApiUrlError, ApiUrlNotAllowedError) as exc:
        raise UnknownInstanceError(str(exc)) from None
    shop = current_services().inbox.find_shop(PLATFORM, api_url)
    if shop is None or not shop.installed:
        raise UnknownInstanceError(f"{api_url} has no installation of Storeflow")
    return api_url, shop


def _store(raw: bytes, event: str, shop: ShopRef) -> str:
    if event not in EVENTS:
        raise MalformedWebhookError(
            f"unknown event {event!r}" if event else f"{EVENT_HEADER} header is missing"
        )
    payload, body = decode_json_object(raw)
    services = current_services()
    stored = services.inbox.store(
        IncomingEvent(
            shop_id=shop.id,
            platform=PLATFORM,
            topic=event,
            event_id=dedupe_key(event, raw),
            body=body,
            api_version=request.headers.get(SCHEMA_VERSION_HEADER, "")[:32] or None,
            triggered_at=_issued_at(payload),
            received_at=services.clock.now(),
        )
    )
    return "stored" if stored else "duplicate"


def _issued_at(payload: dict[str, Any]) -> datetime | None:
    """Read ``issuedAt`` from either payload shape as the event's time; the normalizer judges the rest."""
    data = payload.get("data")
    holder = next(iter(data.values())) if isinstance(data, dict) and len(data) == 1 else payload
    try:
        return opt_datetime(holder, "issuedAt") if isinstance(holder, dict) else None
    except NormalizationError:
        return None
