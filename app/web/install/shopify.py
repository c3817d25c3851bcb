"""Shopify install endpoints: the OAuth code grant for the standalone admin, and App Bridge's patch page."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, redirect, request, session
from werkzeug.wrappers import Response as BaseResponse

from app.db import db
from app.jobs.installs import shopify_set_up
from app.jobs.services import current_services
from app.platforms.shopify.errors import InstallRequestError, InvalidShopDomainError
from app.platforms.shopify.installation import PLATFORM
from app.platforms.shopify.oauth import begin_install, complete_install
from app.platforms.shopify.sdk import normalize_shop_domain, shopify_app
from app.platforms.shopify.session_tokens import PATCH_ID_TOKEN_PATH, frame_ancestors
from app.web.errors import status_for
from app.web.framing import allow_framing_by
from app.web.served import served_only

log = logging.getLogger(__name__)

bp = Blueprint("shopify_install", __name__)


@bp.get("/shopify/install")
@served_only(PLATFORM)
def install() -> BaseResponse:
    """Send the merchant to Shopify to approve Storeflow's scopes."""
    try:
        url = begin_install(current_services().config, session, request.args)
    except InstallRequestError as exc:
        return _refuse("install", exc)
    return redirect(url)


@bp.get("/shopify/callback")
@served_only(PLATFORM)
def callback() -> BaseResponse:
    """Finish the install and log the merchant into the standalone admin."""
    try:
        services = current_services()
        shop = complete_install(db.session(), services, session, request.args, shopify_set_up(services))
    except InstallRequestError as exc:
        return _refuse("callback", exc)
    # A fresh session on login, so nothing set before authentication carries over.
    session.clear()
    session["shop_id"] = shop.id
    return redirect("/admin")


@bp.get(PATCH_ID_TOKEN_PATH)
@served_only(PLATFORM)
def patch_id_token() -> Response:
    """Serve the page where App Bridge obtains a session token and reloads the requested page.

    Only a myshopify.com shop may frame it: the library would write any ``shop`` it is given into
    the page's ``frame-ancestors``.
    """
    try:
        shop_domain = normalize_shop_domain(request.args.get("shop"))
    except InvalidShopDomainError as exc:
        return Response(f"{exc}\n", 400, mimetype="text/plain")
    allow_framing_by(frame_ancestors(shop_domain))
    result = shopify_app(current_services().config).app_home_patch_id_token(
        {"method": request.method, "headers": dict(request.headers), "url": request.url, "body": ""}
    )
    return Response(result.response.body, result.response.status, result.response.headers)


def _refuse(step: str, exc: InstallRequestError) -> Response:
    """Answer a refused install step with its status and a plain reason, and log it."""
    log.warning("shopify %s refused (%s %s): %s", step, status_for(exc), type(exc).__name__, exc)
    return Response(f"Shopify install failed: {exc}\n", status_for(exc), mimetype="text/plain")
