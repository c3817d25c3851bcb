"""Render admin pages with what every page shares: the shop, navigation, notices, embedding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    current_app,
    flash,
    g,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as WerkzeugResponse

from app.core.i18n import N_
from app.web.admin.blueprint import bp, current_shop, identity
from app.web.platforms import platform_of

# Shopify's query on an embedded page; links keep it so each page load can be authenticated, and
# in the host admin's language (``locale``, app/web/i18n.py) when a framed page gets no cookie back.
EMBEDDED_ARGS = ("shop", "host", "embedded", "locale")
# The address of the page an embedded form post answered with (see ``finish``).
LOCATION_HEADER = "Storeflow-Location"


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    modules: tuple[str, ...]  # the page modules whose views belong to this section


NAV = (
    NavItem("admin.overview", N_("Overview"), ("overview",)),
    NavItem("admin.flows", N_("Flows"), ("flows", "flow_detail", "flow_templates", "designer")),
    NavItem("admin.messages", N_("Messages"), ("messages",)),
    NavItem("admin.contacts", N_("Contacts"), ("contacts",)),
    NavItem("admin.forms", N_("Forms"), ("forms",)),
    NavItem("admin.deliveries", N_("Deliveries"), ("deliveries",)),
    NavItem("admin.settings", N_("Settings"), ("settings", "history")),
)


def _section() -> str | None:
    """Return the nav endpoint of the section this request's view belongs to."""
    view = current_app.view_functions.get(request.endpoint or "")
    module = (getattr(view, "__module__", "") or "").rpartition(".")[2]
    return next((item.endpoint for item in NAV if module in item.modules), None)


def admin_url(endpoint: str, **values: Any) -> str:
    """Build an admin URL that keeps Shopify's embedded query, so the next load can authenticate."""
    kept = {k: v for k, v in request.args.items() if k in EMBEDDED_ARGS}
    return url_for(endpoint, **{**kept, **values})


def render_page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render a page of the signed-in shop's admin."""
    shop = current_shop()
    platform = platform_of(shop)
    embed = platform.name if identity().via_session_token else None
    notices = [*get_flashed_messages(), *([g.notice] if "notice" in g else [])]
    page = render_template(
        template,
        shop=shop,
        platform=platform,
        embed=embed,
        api_key=platform.embedding_key if embed else None,
        nav=NAV,
        active=_section(),
        notices=notices,
        recovery_link_missing=platform.needs_checkout_url(shop),
        storefront_problem=platform.storefront_problem(shop),
        **context,
    )
    return page, status


def finish(endpoint: str, notice: str, **values: Any) -> WerkzeugResponse:
    """End a successful form post: redirect a cookie session, render the next page for a token.

    Embedded pages post with a bearer token through fetch, which cannot carry it across a redirect
    the way a browser navigation would, so they get the next page directly, with its address in
    ``LOCATION_HEADER`` for storeflow.js to put in the history (Post/Redirect/Get's URL, one trip).
    """
    if identity().via_session_token:
        g.notice = notice
        response = make_response(current_app.view_functions[endpoint](**values))
        response.headers[LOCATION_HEADER] = admin_url(endpoint, **values)
        return response
    flash(notice)
    return redirect(admin_url(endpoint, **values), code=303)


@bp.app_template_global("admin_url")
def admin_url_global(endpoint: str, **values: Any) -> str:
    return admin_url(endpoint, **values)


@bp.errorhandler(404)
def not_found(error: Exception) -> tuple[str, int]:
    """Answer an id this shop does not have (another shop's, or none) the same way: not found."""
    if "identity" not in g:
        return render_template("admin/unauthorized.html"), 404
    return render_page("admin/not_found.html", status=404)
