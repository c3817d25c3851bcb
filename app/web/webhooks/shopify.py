"""Accept one Shopify webhook delivery: verify, validate, store once. Processing happens later.

Shopify allows 5 s and retries non-2xx deliveries 8 times over about 4 hours, so this does no
processing and no Redis work; the relay in the worker picks stored events up. It runs on every
webhook Shopify sends, so it is served by ``app.web.webhooks.ingress`` ahead of Flask (see there why).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from werkzeug.datastructures import Headers

from app.jobs.services import Services
from app.web.errors import status_for
from app.web.webhooks.ingress import Reply
from webhooks.errors import MalformedWebhookError, UnknownShopError, WebhookError
from webhooks.inbox import InboxUnavailableError, IncomingEvent, ShopRef
from webhooks.payload import decode_json_object, parse_datetime
from webhooks.shopify.binding import bind
from webhooks.shopify.topics import ACCEPTED_AFTER_UNINSTALL, COMPLIANCE_TOPICS, TOPIC_KINDS
from webhooks.shopify.verify import SIGNATURE_HEADER, ShopifyWebhookVerifier

log = logging.getLogger(__name__)

PATH = "/webhooks/shopify"
SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
MAX_HEADER_LENGTH = 255


class ShopifyReceiver:
    """Turn one delivery (headers and raw body) into a stored event and the reply Shopify gets."""

    def __init__(self, services: Services) -> None:
        self.services = services
        config = services.config
        self.verifier = ShopifyWebhookVerifier((config.shopify_api_secret, config.shopify_api_secret_old))

    def __call__(self, headers: Headers, raw: bytes) -> Reply:
        topic = headers.get("X-Shopify-Topic", "")[:MAX_HEADER_LENGTH]
        domain = headers.get("X-Shopify-Shop-Domain", "")[:MAX_HEADER_LENGTH].lower()
        try:
            self.verifier.verify(raw, headers.get(SIGNATURE_HEADER))
            return self._store(headers, raw, topic, domain)
        except InboxUnavailableError as exc:
            log.error("shopify webhook not stored (503, retried): %s, topic=%r shop=%r", exc, topic, domain)
            return Reply.error(503, "temporarily unavailable")
        except WebhookError as exc:
            log.warning(
                "shopify webhook rejected (%s): %s, topic=%r shop=%r", status_for(exc), exc, topic, domain
            )
            return Reply.error(status_for(exc), str(exc))

    def _store(self, headers: Headers, raw: bytes, topic: str, domain: str) -> Reply:
        if topic not in TOPIC_KINDS:
            raise MalformedWebhookError(
                f"unknown topic {topic!r}" if topic else "X-Shopify-Topic header is missing"
            )
        if not SHOP_DOMAIN.match(domain):
            raise MalformedWebhookError("X-Shopify-Shop-Domain is not a myshopify.com domain")
        webhook_id = _header(headers, "X-Shopify-Webhook-Id")
        event_id = _header(headers, "X-Shopify-Event-Id") or webhook_id
        if event_id is None:
            raise MalformedWebhookError("X-Shopify-Event-Id and X-Shopify-Webhook-Id are both missing")
        payload, body = decode_json_object(raw)
        inbox = self.services.inbox
        shop = inbox.find_shop("shopify", domain)
        # The HMAC covers the body only: it must not name another shop, nor be another topic's.
        bind(topic, payload, shop or ShopRef(0, installed=False, domain=domain))
        if shop is None:
            if topic in COMPLIANCE_TOPICS:
                log.info("compliance webhook %s for unknown shop %s: no data held", topic, domain)
                return Reply.status("no data held")
            raise UnknownShopError(f"shop {domain} has not installed the app")
        if not shop.installed and topic not in ACCEPTED_AFTER_UNINSTALL:
            raise UnknownShopError(f"shop {domain} has uninstalled the app")
        stored = inbox.store(
            IncomingEvent(
                shop_id=shop.id,
                platform="shopify",
                topic=topic,
                event_id=event_id,
                body=body,
                webhook_id=webhook_id,
                api_version=_header(headers, "X-Shopify-API-Version"),
                triggered_at=_triggered_at(headers),
                received_at=self.services.clock.now(),
            )
        )
        return Reply.status("stored" if stored else "duplicate")


def _header(headers: Headers, name: str) -> str | None:
    """Read a header that is stored as it came; the inbox bounds it (``webhooks.inbox.bounded``)."""
    return headers.get(name, "").strip() or None


def _triggered_at(headers: Headers) -> datetime | None:
    value = headers.get("X-Shopify-Triggered-At")
    if not value:
        return None
    try:
        return parse_datetime(value[:64], "X-Shopify-Triggered-At")
    except ValueError:
        return None
