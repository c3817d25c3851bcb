"""POST /webhooks/shopify: verify, validate, store once, answer 200. Processing happens later.

Shopify allows 5 s and retries non-2xx deliveries 8 times over about 4 hours, so this endpoint does
no processing and no Redis work; the relay in the worker picks stored events up.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.extensions import csrf
from app.services import current_services
from webhooks.errors import MalformedWebhookError, UnknownShopError, WebhookError
from webhooks.inbox import InboxUnavailableError, IncomingEvent
from webhooks.payload import parse_datetime
from webhooks.shopify.topics import ACCEPTED_AFTER_UNINSTALL, COMPLIANCE_TOPICS, TOPIC_KINDS
from webhooks.shopify.verify import SIGNATURE_HEADER, ShopifyWebhookVerifier

log = logging.getLogger(__name__)
bp = Blueprint("shopify_webhooks", __name__)

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
MAX_HEADER_LENGTH = 255


def _verifier() -> ShopifyWebhookVerifier:
    config = current_services().config
    return ShopifyWebhookVerifier((config.shopify_api_secret, config.shopify_api_secret_old))


def _header(name: str, required: bool = True) -> str | None:
    value = request.headers.get(name, "").strip()
    if not value:
        if required:
            raise MalformedWebhookError(f"{name} header is missing")
        return None
    if len(value) > MAX_HEADER_LENGTH:
        raise MalformedWebhookError(f"{name} header is too long")
    return value


@bp.post("/webhooks/shopify")
@csrf.exempt
def receive() -> tuple[Response, int]:
    """Accept one Shopify webhook delivery."""
    topic = request.headers.get("X-Shopify-Topic", "")[:MAX_HEADER_LENGTH]
    domain = request.headers.get("X-Shopify-Shop-Domain", "")[:MAX_HEADER_LENGTH].lower()
    try:
        raw = request.get_data(cache=False)
        _verifier().verify(raw, request.headers.get(SIGNATURE_HEADER))
        status, outcome = _store(raw, topic, domain)
    except RequestEntityTooLarge:
        log.warning(
            "shopify webhook rejected (413): body over %s bytes, topic=%r shop=%r",
            current_services().config.webhook_max_bytes,
            topic,
            domain,
        )
        return jsonify(error="body too large"), 413
    except InboxUnavailableError as exc:
        log.error(
            "shopify webhook not stored (503, Shopify will retry): %s, topic=%r shop=%r", exc, topic, domain
        )
        return jsonify(error="temporarily unavailable"), 503
    except WebhookError as exc:
        log.warning("shopify webhook rejected (%s): %s, topic=%r shop=%r", exc.status, exc, topic, domain)
        return jsonify(error=str(exc)), exc.status
    return jsonify(status=outcome), status


def _store(raw: bytes, topic: str, domain: str) -> tuple[int, str]:
    if topic not in TOPIC_KINDS:
        raise MalformedWebhookError(
            f"unknown topic {topic!r}" if topic else "X-Shopify-Topic header is missing"
        )
    if not SHOP_DOMAIN.match(domain):
        raise MalformedWebhookError("X-Shopify-Shop-Domain is not a myshopify.com domain")
    event_id = _header("X-Shopify-Event-Id", required=False) or _header(
        "X-Shopify-Webhook-Id", required=False
    )
    if event_id is None:
        raise MalformedWebhookError("X-Shopify-Event-Id and X-Shopify-Webhook-Id are both missing")
    body = _json_object_text(raw)
    services = current_services()
    shop = services.inbox.find_shop("shopify", domain)
    if shop is None:
        if topic in COMPLIANCE_TOPICS:
            log.info("compliance webhook %s for unknown shop %s: no data held", topic, domain)
            return 200, "no data held"
        raise UnknownShopError(f"shop {domain} has not installed the app")
    if not shop.installed and topic not in ACCEPTED_AFTER_UNINSTALL:
        raise UnknownShopError(f"shop {domain} has uninstalled the app")
    stored = services.inbox.store(
        IncomingEvent(
            shop_id=shop.id,
            platform="shopify",
            topic=topic,
            event_id=event_id,
            body=body,
            webhook_id=_header("X-Shopify-Webhook-Id", required=False),
            api_version=_header("X-Shopify-API-Version", required=False),
            triggered_at=_triggered_at(),
            received_at=services.clock.now(),
        ),
    )
    return 200, "stored" if stored else "duplicate"


def _json_object_text(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
        payload = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedWebhookError("body is not valid UTF-8 JSON") from None
    if not isinstance(payload, dict):
        raise MalformedWebhookError("body is not a JSON object")
    return text


def _triggered_at() -> datetime | None:
    value = request.headers.get("X-Shopify-Triggered-At")
    if not value:
        return None
    try:
        return parse_datetime(value[:64], "X-Shopify-Triggered-At")
    except ValueError:
        return None
