"""The app's home: where Shopify launches the app, and a short page about it for everyone else.

``shopify.app.toml`` names the bare app URL as ``application_url``: Shopify opens it inside the
admin with ``embedded``, ``host``, ``shop``, ``id_token``, ``hmac`` and ``timestamp``. That launch
goes on to the admin with its query intact (the admin verifies the session token it carries). The
Saleor manifest's ``homepageUrl`` and ``supportUrl`` point here too.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.jobs.services import current_services
from app.platforms.saleor.installation import PLATFORM as SALEOR

bp = Blueprint("home", __name__)

# Any of these in the query means a store's admin is opening the app.
LAUNCH_ARGS = ("shop", "host", "embedded", "id_token")
REPOSITORY = "https://github.com/storeflow/storeflow"


@bp.get("/")
def home() -> Response | str:
    """Send a store's launch on to the admin; tell a bare visitor what this is."""
    if any(name in request.args for name in LAUNCH_ARGS):
        query = request.query_string.decode("latin-1")
        return redirect(f"{url_for('admin.overview')}?{query}")
    config = current_services().config
    return render_template(
        "home.html",
        manifest_url=config.app_url + url_for("saleor_app.app_manifest") if config.serves(SALEOR) else None,
        repository=REPOSITORY,
    )


@bp.get("/support")
def support() -> str:
    """Say where a merchant gets help with this deployment, and where security reports go."""
    return render_template("support.html", repository=REPOSITORY)
