"""The minimal admin: a shop's flows with on/off switches, delays and steps, and its recent messages.

A Saleor installation also sets its storefront's checkout URL here (Saleor hosts no recovery page)
and sees the consent rule Storeflow applies to its shoppers.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from app.admin.auth import current_identity, shop_from_login_token
from app.extensions import csrf, db
from app.models import FlowSetting, Message, Shop
from app.saleor.installation import PLATFORM as SALEOR
from app.saleor.settings import (
    EXAMPLE_TEMPLATE,
    SettingsError,
    checkout_url_template,
    consent_rule,
    save_checkout_url_template,
)
from app.saleor.webhook_sync import queue_sync_if_stale
from app.services import current_services
from flows.catalogue import CATALOGUE, UnknownFlowError, get_flow
from flows.definitions import Flow
from flows.settings import FlowSettingsError, ResolvedSettings, settings_for_shop, validate_overrides

log = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/admin")

RECENT_MESSAGES = 20


@bp.get("")
def flows_page() -> str:
    identity = current_identity()
    if identity.shop.platform == SALEOR:
        queue_sync_if_stale(identity.shop, current_services())
    return _render(identity.shop, identity.via_session_token)


@bp.post("/flows/<flow_key>")
def update_flow(flow_key: str) -> WerkzeugResponse | str | tuple[str, int]:
    identity = current_identity()
    if not identity.via_session_token:
        csrf.protect()  # bearer tokens are not sent by the browser on its own, cookies are
    try:
        flow = get_flow(flow_key)
    except UnknownFlowError:
        abort(404)
    try:
        overrides = validate_overrides(flow, _submitted_delays(flow), _submitted_steps(flow))
    except FlowSettingsError as exc:
        log.info("shop %s: flow settings refused: %s", identity.shop.id, exc)
        return _render(identity.shop, identity.via_session_token, error=str(exc)), 400
    setting = db.session.scalars(
        select(FlowSetting).filter_by(shop_id=identity.shop.id, flow_key=flow.key)
    ).first()
    if setting is None:
        setting = FlowSetting(shop_id=identity.shop.id, flow_key=flow.key)
        db.session.add(setting)
    setting.enabled = request.form.get("enabled") == "on"
    setting.overrides = overrides
    db.session.commit()
    log.info("shop %s turned %s %s", identity.shop.id, flow.key, "on" if setting.enabled else "off")
    if identity.via_session_token:
        # App Bridge posted with a bearer token; a redirect would be followed without it.
        return _render(identity.shop, embedded=True)
    return redirect(url_for("admin.flows_page"), code=303)


@bp.post("/saleor/settings")
def update_saleor_settings() -> WerkzeugResponse | str | tuple[str, int]:
    identity = current_identity()
    if not identity.via_session_token:
        csrf.protect()
    if identity.shop.platform != SALEOR:
        abort(404)
    try:
        save_checkout_url_template(db.session(), identity.shop, request.form.get("checkout_url_template", ""))
    except SettingsError as exc:
        log.info("shop %s: checkout URL template refused: %s", identity.shop.id, exc)
        return _render(identity.shop, identity.via_session_token, error=str(exc)), 400
    if identity.via_session_token:
        return _render(identity.shop, embedded=True)
    return redirect(url_for("admin.flows_page"), code=303)


@bp.get("/login/<token>")
def login(token: str) -> WerkzeugResponse:
    shop = shop_from_login_token(token)
    if shop is None or not shop.is_installed:
        abort(404)
    session.clear()
    session["shop_id"] = shop.id
    return redirect(url_for("admin.flows_page"), code=303)


def _embedded_args() -> dict[str, str]:
    """Keep Shopify's query (shop, host) on redirects inside the embedded admin."""
    return {k: v for k, v in request.args.items() if k in {"shop", "host", "embedded"}}


def _submitted_delays(flow: Flow) -> dict[str, Any]:
    delays: dict[str, Any] = {}
    for wait in flow.waits():
        raw = request.form.get(f"delay_{wait.setting}", "").strip()
        if raw:
            try:
                delays[wait.setting] = round(float(raw) * 3600)
            except ValueError:
                raise FlowSettingsError(f"{wait.label}: {raw!r} is not a number of hours") from None
    return delays


def _submitted_steps(flow: Flow) -> dict[str, Any]:
    return {send.setting: request.form.get(f"step_{send.setting}") == "on" for send in flow.sends()}


def _render(shop: Shop, embedded: bool, error: str | None = None) -> str:
    settings = settings_for_shop(db.session(), shop.id)
    messages = db.session.scalars(
        select(Message)
        .where(Message.shop_id == shop.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(RECENT_MESSAGES)
    ).all()
    return render_template(
        "admin/flows.html",
        flows=[_card(flow, settings[flow.key]) for flow in CATALOGUE.values()],
        messages=messages,
        error=error,
        embedded=embedded,
        platform=shop.platform,
        api_key=current_services().config.shopify_api_key if shop.platform != SALEOR else None,
        query=_embedded_args(),
        saleor=_saleor_card(shop) if shop.platform == SALEOR else None,
    )


def _saleor_card(shop: Shop) -> dict[str, Any]:
    """What the Saleor settings card shows: the checkout URL template and the consent rule."""
    return {
        "template": checkout_url_template(shop),
        "example": EXAMPLE_TEMPLATE,
        "rule": consent_rule(current_services().config),
    }


def _card(flow: Flow, settings: ResolvedSettings) -> dict[str, Any]:
    return {
        "flow": flow,
        "enabled": settings.enabled,
        "waits": [
            {"wait": w, "hours": round(settings.delay(w).total_seconds() / 3600, 2)} for w in flow.waits()
        ],
        "sends": [{"send": s, "on": settings.step_enabled(s)} for s in flow.sends()],
    }


@bp.after_request
def embedded_headers(response: WerkzeugResponse) -> WerkzeugResponse:
    """Send the framing policy Shopify requires when the page is shown inside its admin."""
    for name, value in getattr(g, "embedded_headers", {}).items():
        response.headers[name] = value
    return response


@bp.errorhandler(401)
def unauthorized(error: Exception) -> tuple[Response | str, int]:
    return render_template("admin/unauthorized.html"), 401
