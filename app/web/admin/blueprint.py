"""The admin blueprint: every request resolves to one shop before a view runs, and forms carry CSRF.

Views never take a shop from the URL or the form: they read ``current_shop()``, which the
``before_request`` hook set from the request's credential. Rows a URL names by id are looked up
within that shop, so another shop's id answers 404 exactly like an id that does not exist.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as WerkzeugResponse

from app.db.models import Shop
from app.web.admin.auth import AdminIdentity, current_identity
from app.web.extensions import csrf

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Reached before there is a shop: the login link itself, and signing out.
PUBLIC_ENDPOINTS = frozenset({"admin.login", "admin.logout"})


def identity() -> AdminIdentity:
    """Return who this request speaks for (set before the view ran)."""
    resolved: AdminIdentity = g.identity
    return resolved


def current_shop() -> Shop:
    """Return the one shop this request may see and change."""
    return identity().shop


@bp.before_request
def resolve_shop() -> None:
    """Refuse a request that does not resolve to an installed shop; check CSRF on cookie sessions."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        if request.method == "POST":
            csrf.protect()
        return
    g.identity = current_identity()
    # A bearer token is not sent by the browser on its own, a cookie is: only cookies need CSRF.
    if request.method == "POST" and not g.identity.via_session_token:
        csrf.protect()


@bp.after_request
def embedded_headers(response: WerkzeugResponse) -> WerkzeugResponse:
    """Send the framing policy Shopify requires when the page is shown inside its admin."""
    for name, value in getattr(g, "embedded_headers", {}).items():
        response.headers[name] = value
    return response


@bp.errorhandler(401)
def unauthorized(error: Exception) -> tuple[Response | str, int]:
    return render_template("admin/unauthorized.html"), 401


@bp.errorhandler(CSRFError)
def expired_form(error: CSRFError) -> tuple[Response | str, int]:
    return render_template("admin/expired_form.html"), 400
