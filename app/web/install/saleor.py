"""Saleor install endpoints: the manifest, token registration, the dashboard entry page, privacy."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, render_template, request
from sqlalchemy.exc import OperationalError

from app.db import db
from app.jobs.history_queue import request_sync
from app.jobs.services import current_services
from app.platforms.saleor.dashboard import frame_ancestors
from app.platforms.saleor.errors import InvalidApiUrlError, RegistrationError
from app.platforms.saleor.installation import API_URL_HEADER, DOMAIN_HEADER, PLATFORM, SCHEMA_VERSION_HEADER
from app.platforms.saleor.manifest import APP_PATH, MANIFEST_PATH, PRIVACY_PATH, REGISTER_PATH, manifest
from app.platforms.saleor.registration import register
from app.platforms.saleor.settings import consent_rule
from app.platforms.saleor.urls import normalize_api_url
from app.web.errors import status_for
from app.web.extensions import csrf
from app.web.framing import allow_framing_by
from app.web.served import served_only
from webhooks.payload import decode_json

log = logging.getLogger(__name__)
bp = Blueprint("saleor_app", __name__)

# Each attempt makes us call the named instance to check the token: cap what a caller can make us send.
REGISTRATIONS_PER_MINUTE = 10


@bp.get(MANIFEST_PATH)
@served_only(PLATFORM)
def app_manifest() -> Response:
    """Describe Storeflow to a Saleor dashboard installing it from this URL."""
    return jsonify(manifest(current_services().config))


@bp.post(REGISTER_PATH)
@csrf.exempt
def register_token() -> tuple[Response, int]:
    """Take the app token Saleor issues at install; answer errors the way the dashboard shows them."""
    instance = _instance_key(request.headers.get(API_URL_HEADER) or "")
    if not current_services().limiter.allow("saleor-register", instance, REGISTRATIONS_PER_MINUTE):
        log.warning("saleor install attempts for %s over %d a minute", instance, REGISTRATIONS_PER_MINUTE)
        response, status = _failure("TOO_MANY_ATTEMPTS", "Too many install attempts; retry in a minute.", 429)
        response.headers["Retry-After"] = "60"
        return response, status
    try:
        shop = register(
            db.session(),
            current_services(),
            request.headers.get(API_URL_HEADER),
            _json_body(),
            request.headers.get(SCHEMA_VERSION_HEADER),
            request.headers.get(DOMAIN_HEADER),
        )
        request_sync(db.session(), current_services(), shop)  # its past, so win-back and VIP work on day one
    except RegistrationError as exc:
        log.warning("saleor install refused (%s %s): %s", status_for(exc), exc.code, exc)
        return _failure(exc.code, str(exc), status_for(exc))
    except OperationalError as exc:
        db.session.rollback()
        log.error("saleor install not stored: database unavailable: %s", exc.orig)
        return _failure("TEMPORARILY_UNAVAILABLE", "Storeflow could not store the install; try again.", 503)
    return jsonify(success=True), 200


@bp.get(APP_PATH)
@served_only(PLATFORM)
def dashboard_entry() -> str:
    """Serve the page the dashboard frames: it takes the dashboard's token and loads the admin with it."""
    allow_framing_by(frame_ancestors(current_services().config))
    return render_template("admin/saleor_entry.html")


@bp.get(PRIVACY_PATH)
@served_only(PLATFORM)
def data_privacy() -> str:
    """Say what Storeflow keeps about a Saleor store's shoppers, and why."""
    return render_template("admin/saleor_privacy.html", rule=consent_rule(current_services().config))


def _instance_key(raw: str) -> str:
    """Count attempts per instance, however its URL is spelled."""
    try:
        return normalize_api_url(raw)
    except InvalidApiUrlError:
        return "invalid"


def _json_body() -> object:
    """Parse the body as JSON, or None: never an error page, whatever a caller sends (deep nesting too)."""
    try:
        return decode_json(request.get_data(cache=False))  # strings made storable, as at every door
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _failure(code: str, message: str, status: int) -> tuple[Response, int]:
    return jsonify(success=False, error={"code": code, "message": message}), status
