"""The "notify me when available" signup for out-of-stock products: an endpoint and a hosted form.

``POST /storefront/notify?k=<storefront key>`` takes ``email``, ``product_id``, optional
``variant_id`` (empty: any variant) and ``subscribe`` (also sign up for marketing email). It
answers JSON to the storefront snippet (``storeflow.notify({...})``) and a page to the hosted form,
``GET /storefront/notify?k=...&product_id=...``, which a storefront can open or embed for an
out-of-stock variant; the form names the product from the catalogue, never from its link.

Only the shop's own storefronts and the hosted form (``APP_URL``) may post: a post without an
``Origin`` they have is refused, as every browser sends one with a POST. That stops other sites'
pages, not scripts, which can send any header, so a ticked ``subscribe`` is held ``pending`` and
the address gets a confirmation link; only its click subscribes (``app/consent/forms.py``; a shop
may choose single opt-in). The back-in-stock message itself goes to the address that asked, once
per signup. Signups are rate limited per address and per shop.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError

from app.consent.forms import DOUBLE_OPT_IN, form_opt_in
from app.core.errors import StoreflowError
from app.core.events import EventKind
from app.core.facts import ConsentFacts, ConsentState, ContactFacts
from app.db import db
from app.db.models import Product, Shop, StockAlert
from app.db.models.rows import get_or_create
from app.ingest.contacts import apply_consent, upsert_contact
from app.ingest.subscriptions import hold_for_confirmation, subscription_triggers
from app.jobs.scheduling import StepWake
from app.jobs.services import current_services
from app.jobs.unit_of_work import unit_of_work
from app.storefront.origins import allowed_origins, origin_of
from app.storefront.schema import IDENTIFIER
from app.web.extensions import csrf
from app.web.framing import allow_framing_by
from app.web.origin import request_origin
from app.web.platforms import platform_of

log = logging.getLogger(__name__)
bp = Blueprint("notify", __name__)

PATH = "/storefront/notify"
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}")
SOURCE = "storefront:notify_form"
# Per minute: signups from one address (browser), and for one shop.
ADDRESS_LIMIT = 5
SHOP_LIMIT = 600


class SignupError(StoreflowError, ValueError):
    """A signup was refused; the message says which field and why."""


@bp.get(PATH)
def form() -> ResponseReturnValue:
    """Show the hosted signup form for one product."""
    shop = _shop()
    product_id = request.args.get("product_id", "")
    if not IDENTIFIER.fullmatch(product_id):
        abort(404)
    return render_template(
        "notify.html",
        shop_name=shop.display_name,
        product=_product_title(shop, product_id),
        key=request.args["k"],
        product_id=product_id,
        variant_id=request.args.get("variant_id", ""),
        done=False,
        error=None,
    )


@bp.post(PATH)
@csrf.exempt
def signup() -> ResponseReturnValue:
    """Record that a shopper wants to know when the product is back."""
    shop = _shop()
    origin = request.headers.get("Origin", "")
    own = origin_of(current_services().config.app_url)
    if origin != own and origin not in allowed_origins(
        platform_of(shop), shop.domain, shop.storefront_url, shop.settings
    ):
        return jsonify(error=f"{origin or 'no origin'} is not a storefront of this shop"), 403
    hosted = request.form.get("hosted") == "1"
    try:
        _limit(shop.id, request.remote_addr or "")
        product_id, variant_id, email = _fields()
        _record(shop, product_id, variant_id, email, request.form.get("subscribe") in {"on", "true", "1"})
    except SignupError as exc:
        if hosted:
            return _page(shop, str(exc), 400)
        return _cors(jsonify(error=str(exc)), origin), 400
    if hosted:
        return _page(shop, None, 201)
    return _cors(jsonify(status="subscribed"), origin), 201


def _shop() -> Shop:
    key = request.args.get("k", "")
    shop = db.session.query(Shop).filter_by(storefront_key=key).first() if key else None
    if shop is None or not shop.is_installed:
        abort(404)
    allow_framing_by(
        sorted(allowed_origins(platform_of(shop), shop.domain, shop.storefront_url, shop.settings))
    )
    return shop


def _fields() -> tuple[str, str, str]:
    product_id = request.form.get("product_id", "").strip()
    variant_id = request.form.get("variant_id", "").strip()
    email = request.form.get("email", "").strip().lower()
    if not IDENTIFIER.fullmatch(product_id):
        raise SignupError("product_id is missing or malformed")
    if variant_id and not IDENTIFIER.fullmatch(variant_id):
        raise SignupError("variant_id is malformed")
    if len(email) > 320 or not EMAIL.fullmatch(email):
        raise SignupError("enter a valid email address")
    return product_id, variant_id, email


def _limit(shop_id: int, address: str) -> None:
    """Refuse floods (one address, or one shop); a Redis outage lets signups through."""
    redis = current_services().redis
    try:
        for key, limit in (
            (f"sf:notify:{shop_id}:{address}", ADDRESS_LIMIT),
            (f"sf:notify:{shop_id}", SHOP_LIMIT),
        ):
            count = redis.incr(key)
            if count == 1:
                redis.expire(key, 60)
            if count > limit:
                raise SignupError("too many signups; try again in a minute")
    except RedisError as exc:
        log.warning("notify-me rate limit unavailable: %s", exc)


def _record(shop: Shop, product_id: str, variant_id: str, email: str, subscribe: bool) -> None:
    services = current_services()
    now = services.clock.now()
    with unit_of_work(db.session(), services.clock, StepWake(services.redis, services.clock)) as work:
        contact = upsert_contact(db.session(), shop.id, ContactFacts(email=email))
        assert contact is not None
        db.session.flush()
        alert, _ = get_or_create(
            db.session(),
            StockAlert,
            shop_id=shop.id,
            contact_id=contact.id,
            product_id=product_id,
            variant_id=variant_id,
        )
        alert.created_at = now
        alert.notified_at = None  # asked again: tell them next time too
        if subscribe:
            before = contact.email_consent
            consent = ConsentFacts(
                "email", ConsentState.SUBSCRIBED, SOURCE, now, grant_only=True, origin=request_origin()
            )
            double = form_opt_in(shop) == DOUBLE_OPT_IN
            apply_consent(contact, hold_for_confirmation(contact, consent, double))
            for event in subscription_triggers(
                shop.id, contact, before, now, pending=EventKind.SIGNUP_PENDING
            ):
                work.engine.handle(event)
    log.info(
        "shop %s: contact %s asked to hear when %s/%s is back", shop.id, contact.id, product_id, variant_id
    )


def _cors(response: Response, origin: str) -> Response:
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


def _product_title(shop: Shop, product_id: str) -> str:
    """Name the product as the catalogue does; a title in the request is anyone's words (issue 14.2)."""
    product = db.session.query(Product).filter_by(shop_id=shop.id, platform_id=product_id).first()
    return product.title if product is not None and product.title else "this product"


def _page(shop: Shop, error: str | None, status: int) -> ResponseReturnValue:
    return (
        render_template(
            "notify.html",
            shop_name=shop.display_name,
            product=_product_title(shop, request.form.get("product_id", "")[:255]),
            key=request.args.get("k", ""),
            product_id=request.form.get("product_id", ""),
            variant_id=request.form.get("variant_id", ""),
            done=error is None,
            error=error,
        ),
        status,
    )
