"""Sign in with a one-time link (``flask storeflow admin-link``), and sign out."""

from __future__ import annotations

import logging

from flask import Response, abort, redirect, render_template, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from app.web.admin.auth import LoginCheckUnavailableError, shop_from_login_token
from app.web.admin.blueprint import bp

log = logging.getLogger(__name__)
# Redis comes back in seconds to minutes; the link stays valid for ten.
RETRY_AFTER_SECONDS = 30


@bp.get("/login/<token>")
def login(token: str) -> WerkzeugResponse:
    """Open the shop's admin in this browser; each link works once, for 10 minutes."""
    try:
        shop = shop_from_login_token(token)
    except LoginCheckUnavailableError as exc:
        # Temporary, and the link is not spent: 503 with Retry-After is the honest answer.
        log.warning("login link not checked, Redis unavailable: %s", exc)
        return Response(
            gettext("Sign-in cannot check this link right now. Please try the link again in a minute."),
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            mimetype="text/plain",
        )
    if shop is None or not shop.is_installed:
        abort(404)
    session.clear()  # a fresh session on login, so nothing set before carries over
    session["shop_id"] = shop.id
    return redirect(url_for("admin.overview"), code=303)


@bp.post("/logout")
def logout() -> tuple[str, int]:
    """Forget the shop in this browser."""
    session.clear()
    return render_template("admin/signed_out.html"), 200
