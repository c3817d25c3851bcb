"""Web push signup from the storefront: the key browsers subscribe with, and the subscriptions.

``GET /storefront/push/key?k=<storefront key>`` answers the deployment's VAPID public key.
``POST /storefront/push?k=...`` stores the browser's ``PushSubscription`` (``app/push/capture.py``
says what is accepted) and ``POST /storefront/push/unsubscribe?k=...`` forgets it. Our snippet asks
the shopper only after they clicked a "get updates" button, never on page load, and posts here
only once the browser granted permission. Only the shop's own storefront origins may post; posts
are rate limited per address and per shop. Bodies are sent as ``text/plain`` (no CORS preflight).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from app.db import db
from app.db.models import Shop
from app.jobs.ratelimit import RateLimiter
from app.jobs.services import current_services
from app.push.capture import InvalidSubscriptionError, parse_subscription, parse_unsubscription
from app.push.consent import PushConsentChange
from app.push.subscriptions import remove_subscription, save_subscription
from app.storefront.origins import allowed_origins
from app.web.extensions import csrf
from app.web.origin import request_origin
from app.web.platforms import platform_of

log = logging.getLogger(__name__)
bp = Blueprint("storefront_push", __name__)

PATH = "/storefront/push"
MAX_BODY_BYTES = 4096
# How the consent ledger names these changes (app/push/consent.py).
SIGNUP_SOURCE = "storefront:push_signup"
WITHDRAWAL_SOURCE = "storefront:push_withdrawn"
# Per minute: posts from one address (a browser retrying), and for one shop (a launch-day rush).
ADDRESS_LIMIT = 10
SHOP_LIMIT = 1200


@bp.get(f"{PATH}/key")
def public_key() -> ResponseReturnValue:
    """Answer the key a browser must subscribe with (``applicationServerKey``)."""
    _shop()
    origin = request.headers.get("Origin", "")
    return _cors(jsonify(public_key=current_services().config.vapid_public_key), origin)


@bp.post(PATH)
@csrf.exempt
def subscribe() -> ResponseReturnValue:
    """Store the subscription of a browser whose shopper allowed notifications."""
    shop, origin = _checked_post()
    try:
        post = parse_subscription(_body(), current_services().config.push_service_hosts)
    except InvalidSubscriptionError as exc:
        return _cors(jsonify(error=str(exc)), origin), 400
    consent = PushConsentChange(db.session(), shop.id, post.visitor)
    subscription = save_subscription(db.session(), shop.id, post)
    consent.record(SIGNUP_SOURCE, current_services().clock.now(), request_origin())
    db.session.commit()
    log.info("shop %s: visitor subscribed to push (subscription %s)", shop.id, subscription.id)
    return _cors(jsonify(status="subscribed"), origin), 201


@bp.post(f"{PATH}/unsubscribe")
@csrf.exempt
def unsubscribe() -> ResponseReturnValue:
    """Forget a subscription its browser withdrew."""
    shop, origin = _checked_post()
    try:
        visitor, endpoint = parse_unsubscription(_body(), current_services().config.push_service_hosts)
    except InvalidSubscriptionError as exc:
        return _cors(jsonify(error=str(exc)), origin), 400
    consent = PushConsentChange(db.session(), shop.id, visitor)
    removed = remove_subscription(db.session(), shop.id, visitor, endpoint)
    consent.record(WITHDRAWAL_SOURCE, current_services().clock.now(), request_origin())
    db.session.commit()
    return _cors(jsonify(status="unsubscribed" if removed else "unknown"), origin), 200


@bp.errorhandler(HTTPException)
def refused(exc: HTTPException) -> ResponseReturnValue:
    """Answer refusals as JSON naming the reason, like the events endpoint."""
    return jsonify(error=exc.description), exc.code or 400


def _shop() -> Shop:
    if not current_services().config.push_enabled:
        abort(404, description="web push is not configured (VAPID keys)")
    key = request.args.get("k", "")[:64]
    shop = db.session.query(Shop).filter_by(storefront_key=key).first() if key else None
    if shop is None or not shop.is_installed:
        abort(404, description="no installed shop has this storefront key")
    return shop


def _checked_post() -> tuple[Shop, str]:
    """Name the shop, refuse other sites' pages and floods; return the shop and the page's origin."""
    shop = _shop()
    origin = request.headers.get("Origin", "")
    if origin not in allowed_origins(platform_of(shop), shop.domain, shop.storefront_url, shop.settings):
        abort(403, description=f"{origin or 'no origin'} is not a storefront of this shop")
    limiter = RateLimiter(current_services().redis)
    if not (
        limiter.allow("push-signup", f"{shop.id}:{request.remote_addr}", ADDRESS_LIMIT)
        and limiter.allow("push-signup", str(shop.id), SHOP_LIMIT)
    ):
        abort(429, description="too many subscriptions; try again in a minute")
    return shop, origin


def _body() -> bytes:
    declared = request.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        abort(413, description=f"body over {MAX_BODY_BYTES} bytes")
    raw = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        abort(413, description=f"body over {MAX_BODY_BYTES} bytes")
    return raw


def _cors(response: Response, origin: str) -> Response:
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response
