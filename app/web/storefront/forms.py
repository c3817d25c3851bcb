"""The signup forms' storefront doors: the live forms, their views, and their submissions.

``GET /storefront/forms?k=<storefront key>[&visitor=<sf_vid>]`` answers the shop's live forms
(their designs, and the welcome discount a form promises) and whether this browser's visitor is
already a known email subscriber, so the script can keep quiet for them.
``POST /storefront/forms/<id>/view?k=...`` counts one view and answers the signed *ticket* the
submission must bring back (``app/forms/submission.py``: the server measures the time to submit).
``POST /storefront/forms/<id>/submit?k=...`` signs the shopper up (``app/forms/signup.py``).

Only the shop's own storefront origins may post, and posts are rate limited per address and per
shop. Bodies are JSON sent as ``text/plain`` (no CORS preflight), at most 4 KiB. A submission a
bot made (honeypot filled, sent within seconds of the view) is answered exactly like a real one
and stores nothing: a bot that got an error would learn what to change. A draft form, another
shop's form and no form at all are the same 404.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from app.consent.forms import DOUBLE_OPT_IN, form_opt_in
from app.core.facts import ConsentState
from app.db import db
from app.db.models import Contact, Shop, SignupForm, Visitor
from app.forms.design import FormDesign
from app.forms.live import count_view, live_form, live_forms, shown_design
from app.forms.offer import welcome_offer
from app.forms.signup import record_signup
from app.forms.submission import BotSubmission, SubmissionError, check_ticket, issue_ticket, read_submission
from app.jobs.ratelimit import RateLimiter
from app.jobs.scheduling import StepWake
from app.jobs.services import current_services
from app.jobs.unit_of_work import unit_of_work
from app.storefront.origins import allowed_origins
from app.web.extensions import csrf
from app.web.origin import request_origin
from app.web.platforms import platform_of

log = logging.getLogger(__name__)
bp = Blueprint("storefront_forms", __name__)

PATH = "/storefront/forms"
MAX_BODY_BYTES = 4096
VISITOR_KEY_LENGTH = (16, 64)
# Per minute. Views: one browser opening pages, and a shop's traffic. Submissions: one browser
# retrying a typo, and a launch-day rush for one shop.
VIEW_ADDRESS_LIMIT = 60
VIEW_SHOP_LIMIT = 6000
SUBMIT_ADDRESS_LIMIT = 5
SUBMIT_SHOP_LIMIT = 600
LIST_MAX_AGE_SECONDS = 60


@bp.get(PATH)
def forms() -> ResponseReturnValue:
    """Answer the shop's live forms, for the storefront script to show by their rules."""
    shop = _shop()
    session = db.session()
    offer = welcome_offer(session, shop.id)
    listed = []
    for form in live_forms(session, shop.id):
        design = shown_design(form)
        if design is None:
            continue
        listed.append(
            {"id": form.id, "design": design.as_dict(), "offer_percent": offer if design.discount else None}
        )
    body = {"forms": listed, "known_subscriber": _known_subscriber(shop, request.args.get("visitor", ""))}
    response = _cors(jsonify(body), shop)
    # Asked on every page a shopper opens: the browser keeps the answer a minute (per visitor, as
    # the visitor is in the URL), so a form switched off stops showing within that minute.
    response.headers["Cache-Control"] = f"private, max-age={LIST_MAX_AGE_SECONDS}"
    return response


@bp.post(f"{PATH}/<id:form_id>/view")
@csrf.exempt
def view(form_id: int) -> ResponseReturnValue:
    """Count one showing of the form and hand back the ticket its submission needs."""
    shop = _checked_post()
    form = _form(shop, form_id)
    limiter = RateLimiter(current_services().redis)
    address = request.remote_addr or ""
    if limiter.allow("form-view", f"{shop.id}:{address}", VIEW_ADDRESS_LIMIT) and limiter.allow(
        "form-view", str(shop.id), VIEW_SHOP_LIMIT
    ):
        count_view(db.session(), form.id)
        db.session.commit()
    services = current_services()
    ticket = issue_ticket(services.config.secret_key, form.id, services.clock.now())
    return _cors(jsonify(ticket=ticket), shop)


@bp.post(f"{PATH}/<id:form_id>/submit")
@csrf.exempt
def submit(form_id: int) -> ResponseReturnValue:
    """Sign the shopper up: contact, consent per channel, then double opt-in or the welcome series."""
    shop = _checked_post()
    form = _form(shop, form_id)
    limiter = RateLimiter(current_services().redis)
    if not (
        limiter.allow("form-submit", f"{shop.id}:{request.remote_addr}", SUBMIT_ADDRESS_LIMIT)
        and limiter.allow("form-submit", str(shop.id), SUBMIT_SHOP_LIMIT)
    ):
        abort(429, description="too many signups; try again in a minute")
    body = _json_body()
    design = shown_design(form)
    if design is None:
        abort(404, description="this shop has no live form with this id")
    double = form_opt_in(shop) == DOUBLE_OPT_IN
    services = current_services()
    try:
        check_ticket(services.config.secret_key, form.id, body.get("ticket"), services.clock.now())
        submission = read_submission(design, body)
    except SubmissionError as exc:
        return _cors(jsonify(error="please check the form", errors=exc.errors), shop), 400
    except BotSubmission as exc:
        log.info(
            "shop %s form %s: took a submission for a bot's and stored nothing: %s", shop.id, form.id, exc
        )
        return _cors(jsonify(_success(shop, design, double)), shop)
    session = db.session()
    with unit_of_work(session, services.clock, StepWake(services.redis, services.clock)) as work:
        signup = record_signup(
            session, form, design, submission, services.clock.now(), request_origin(), double
        )
        for event in signup.events:
            work.engine.handle(event)
    log.info("shop %s: contact %s signed up through form %s", shop.id, signup.contact.id, form.id)
    return _cors(jsonify(_success(shop, design, double)), shop)


@bp.errorhandler(HTTPException)
def refused(exc: HTTPException) -> ResponseReturnValue:
    """Answer refusals as JSON naming the reason, with CORS so the script can read it."""
    response = jsonify(error=exc.description)
    origin = request.headers.get("Origin", "")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response, exc.code or 400


def _success(shop: Shop, design: FormDesign, double: bool) -> dict[str, Any]:
    """What the form shows once sent; the same for a bot, so it cannot tell it was refused."""
    offer = welcome_offer(db.session(), shop.id) if design.discount else None
    return {
        "status": "pending" if double else "subscribed",
        "title": design.success_title,
        "message": design.success_message,
        "confirm": double,
        "offer_percent": offer,
    }


def _shop() -> Shop:
    key = request.args.get("k", "")[:64]
    shop = db.session.query(Shop).filter_by(storefront_key=key).first() if key else None
    if shop is None or not shop.is_installed:
        abort(404, description="no installed shop has this storefront key")
    return shop


def _origins(shop: Shop) -> frozenset[str]:
    return allowed_origins(platform_of(shop), shop.domain, shop.storefront_url, shop.settings)


def _checked_post() -> Shop:
    shop = _shop()
    origin = request.headers.get("Origin", "")
    if origin not in _origins(shop):
        abort(403, description=f"{origin or 'no origin'} is not a storefront of this shop")
    return shop


def _form(shop: Shop, form_id: int) -> SignupForm:
    form = live_form(db.session(), shop.id, form_id)
    if form is None:
        abort(404, description="this shop has no live form with this id")
    return form


def _json_body() -> dict[str, Any]:
    declared = request.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        abort(413, description=f"body over {MAX_BODY_BYTES} bytes")
    raw = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        abort(413, description=f"body over {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        abort(400, description="the body is not JSON")
    if not isinstance(body, dict):
        abort(400, description="the body must be a JSON object")
    return body


def _known_subscriber(shop: Shop, visitor_key: str) -> bool:
    """Tell whether this browser belongs to a contact subscribed to email (a proven link only)."""
    low, high = VISITOR_KEY_LENGTH
    if not low <= len(visitor_key) <= high:
        return False
    visitor = db.session.query(Visitor).filter_by(shop_id=shop.id, visitor_key=visitor_key).first()
    if visitor is None or visitor.contact_id is None:
        return False
    contact = db.session.get(Contact, visitor.contact_id)
    return contact is not None and contact.email_consent == ConsentState.SUBSCRIBED


def _cors(response: Response, shop: Shop) -> Response:
    origin = request.headers.get("Origin", "")
    if origin and origin in _origins(shop):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response
