"""POST /webhooks/saleor: identify the instance, verify the JWS, store once, answer. Processing is later.

Saleor allows 18 s and retries only timeouts and 5xx (up to 5 times over about 5 minutes), never
3xx/4xx. So: 200 once stored (or already stored), 503 when we want the delivery again (database
down, the instance's signing keys unreachable), 4xx only for what a retry cannot fix. Keys are only
ever fetched for an installed instance on the operator's allowlist. Like Shopify's, the endpoint is
served by ``app.web.webhooks.ingress`` ahead of Flask: it needs the headers and the raw body, nothing else.

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

from werkzeug.datastructures import Headers

from app.core.facts import NormalizationError
from app.jobs.services import Services
from app.platforms.saleor.errors import ApiUrlNotAllowedError, InvalidApiUrlError
from app.platforms.saleor.installation import (
    API_URL_HEADER,
    DOMAIN_HEADER,
    PLATFORM,
    SCHEMA_VERSION_HEADER,
    remembered,
)
from app.platforms.saleor.manifest import subscribed_events
from app.platforms.saleor.urls import ApiUrlAllowlist, normalize_api_url
from app.web.errors import status_for
from app.web.webhooks.ingress import Reply
from webhooks.errors import MalformedWebhookError, MisboundWebhookError, WebhookError
from webhooks.inbox import InboxUnavailableError, IncomingEvent, ShopRef
from webhooks.payload import decode_json_object, opt_datetime
from webhooks.saleor.binding import bind
from webhooks.saleor.errors import UnknownInstanceError
from webhooks.saleor.events import EVENTS
from webhooks.saleor.verify import SIGNATURE_HEADER, SaleorWebhookVerifier

log = logging.getLogger(__name__)

PATH = "/webhooks/saleor"
EVENT_HEADER = "Saleor-Event"
MAX_HEADER_LENGTH = 255


def dedupe_key(event: str, body: bytes) -> str:
    """Name one Saleor event across its redeliveries (see the module docstring)."""
    return hashlib.sha256(event.encode() + b"\n" + body).hexdigest()


class SaleorReceiver:
    """Turn one delivery (headers and raw body) into a stored event and the reply Saleor gets."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.allowlist = ApiUrlAllowlist(services.config.saleor_allowed_api_urls)
        self.manifest_events = subscribed_events(services.config)

    def __call__(self, headers: Headers, raw: bytes) -> Reply:
        event = headers.get(EVENT_HEADER, "")[:MAX_HEADER_LENGTH].strip().lower()
        api_url = headers.get(API_URL_HEADER, "")[:MAX_HEADER_LENGTH].strip()
        try:
            api_url, shop = self._installation(api_url)
            SaleorWebhookVerifier(self.services.saleor_jwks).verify(
                api_url, raw, headers.get(SIGNATURE_HEADER)
            )
            return Reply.status(self._store(headers, raw, event, shop))
        except InboxUnavailableError as exc:
            log.error(
                "saleor webhook not stored (503, Saleor will retry): %s, event=%r instance=%r",
                exc,
                event,
                api_url,
            )
            return Reply.error(503, "temporarily unavailable")
        except WebhookError as exc:
            log.warning(
                "saleor webhook rejected (%s): %s, event=%r instance=%r", status_for(exc), exc, event, api_url
            )
            return Reply.error(status_for(exc), str(exc))

    def _installation(self, raw_api_url: str) -> tuple[str, ShopRef]:
        """Return the installed, allowlisted instance named by ``Saleor-Api-Url``; nothing else is trusted."""
        if not raw_api_url:
            raise UnknownInstanceError(f"{API_URL_HEADER} header is missing")
        try:
            api_url = normalize_api_url(raw_api_url)
            if not self.allowlist.allows(api_url):
                raise ApiUrlNotAllowedError(f"{api_url} is not in SALEOR_ALLOWED_API_URLS")
        except (InvalidApiUrlError, ApiUrlNotAllowedError) as exc:
            raise UnknownInstanceError(str(exc)) from None
        shop = self.services.inbox.find_shop(PLATFORM, api_url)
        if shop is None or not shop.installed:
            raise UnknownInstanceError(f"{api_url} has no installation of Storeflow")
        return api_url, shop

    def _store(self, headers: Headers, raw: bytes, event: str, shop: ShopRef) -> str:
        if event not in EVENTS:
            raise MalformedWebhookError(
                f"unknown event {event!r}" if event else f"{EVENT_HEADER} header is missing"
            )
        self._check_installation(headers, event, shop)
        payload, body = decode_json_object(raw)
        bind(event, payload, shop)
        stored = self.services.inbox.store(
            IncomingEvent(
                shop_id=shop.id,
                platform=PLATFORM,
                topic=event,
                event_id=dedupe_key(event, raw),
                body=body,
                # Saleor names its schema only when it registers: the installation kept it.
                api_version=headers.get(SCHEMA_VERSION_HEADER) or shop.api_version,
                triggered_at=_issued_at(payload),
                received_at=self.services.clock.now(),
            )
        )
        return "stored" if stored else "duplicate"

    def _check_installation(self, headers: Headers, event: str, shop: ShopRef) -> None:
        """Hold a delivery to what the installation is: its ``Saleor-Domain`` and its subscriptions.

        The instance's key signs every app's deliveries over the body only (13.6), so a delivery
        made for another app's webhook verifies here too; the headers are checked against what
        registration stored, and the event against what this installation subscribed to (the
        manifest's events when it stored none, as installations made before this did not).
        """
        known = remembered(shop.settings)
        domain = known.get("domain")
        claimed = headers.get(DOMAIN_HEADER, "")[:MAX_HEADER_LENGTH].strip().lower()
        if isinstance(domain, str) and claimed != domain:
            raise MisboundWebhookError(f"{DOMAIN_HEADER} {claimed!r} is not this installation's")
        stored_events = known.get("events")
        events = frozenset(stored_events) if isinstance(stored_events, list) else self.manifest_events
        if event not in events:
            raise MisboundWebhookError(f"this installation did not subscribe to {event}")


def _issued_at(payload: dict[str, Any]) -> datetime | None:
    """Read ``issuedAt`` from either payload shape as the event's time; the normalizer judges the rest."""
    data = payload.get("data")
    holder = next(iter(data.values())) if isinstance(data, dict) and len(data) == 1 else payload
    try:
        return opt_datetime(holder, "issuedAt") if isinstance(holder, dict) else None
    except NormalizationError:
        return None
