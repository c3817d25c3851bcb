"""Sign in with a one-time link (``flask storeflow admin-link``), and sign out."""

from __future__ import annotations

from flask import abort, redirect, render_template, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from app.admin.auth import shop_from_login_token
from app.admin.blueprint import bp


@bp.get("/login/<token>")
def login(token: str) -> WerkzeugResponse:
    """Open the shop's admin in this browser; each link works once, for 10 minutes."""
    shop = shop_from_login_token(token)
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
