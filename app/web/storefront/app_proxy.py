"""Serve the storefront's scripts on a Shopify shop's own domain, through Shopify's app proxy.

Shopify forwards ``https://{shop}/apps/storeflow/<file>`` to ``APP_URL/shopify/proxy/<file>`` with
a signature over its query (app/platforms/shopify/app_proxy.py). Every answer here needs that
signature: unsigned or forged, it is 401 and nothing else. What is served:

- ``sw.js``, the service worker. Browsers deliver push only to a worker of the page's own origin,
  which a Shopify-hosted store cannot host itself; through the proxy it is on the shop's domain.
  Its scope is the proxy's path (``/apps/storeflow/``), the default for a worker served there, which
  is all push needs: a push worker does not have to control the pages. So it does not depend on
  ``Service-Worker-Allowed``, a header a proxy in between may not pass on.
- ``storeflow.js``, the snippet, preceded by the shop's settings (its storefront key, the app's
  URL, the proxy path Shopify signed, whether there are signup forms), so the theme's app embed
  block names nothing itself.
- ``forms.js``, the signup forms, once app/static/storeflow-forms.js exists (404 until then); the
  snippet loads it from the same path when the settings say it exists and the embed allows it.

Storefront events posted to ``/apps/storeflow/events`` are taken at the WSGI layer
(app/web/storefront/ingress.py, ``APP_PROXY_PATH``).
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from app.db import db
from app.jobs.services import current_services
from app.platforms.shopify.app_proxy import PROXY_ROOT, AppProxyVerifier, signed_path_prefix
from app.platforms.shopify.installation import PLATFORM, find_shop
from app.storefront.errors import UnsignedLoginError
from app.storefront.logins import SignedLogin
from app.web.errors import status_for
from app.web.served import served_only
from app.web.storefront.scripts import SNIPPET_CACHE, WORKER_CACHE, read_script, script_response

log = logging.getLogger(__name__)
bp = Blueprint("app_proxy", __name__)

FORMS_SCRIPT = "storeflow-forms.js"


@bp.get(PROXY_ROOT)
@bp.get(f"{PROXY_ROOT}/")
@served_only(PLATFORM)
def proxy_root() -> ResponseReturnValue:
    """Answer the proxy's own path: says the proxy reaches Storeflow, for the shop that signed."""
    login = _verified()
    return jsonify(status="ok", shop=login.shop_domain)


@bp.get(f"{PROXY_ROOT}/sw.js")
@served_only(PLATFORM)
def service_worker() -> ResponseReturnValue:
    """Serve the push service worker on the shop's own origin."""
    _verified()
    return script_response(read_script("storeflow-sw.js"), WORKER_CACHE, request)


@bp.get(f"{PROXY_ROOT}/storeflow.js")
@served_only(PLATFORM)
def snippet() -> ResponseReturnValue:
    """Serve the snippet with the signing shop's settings in front of it."""
    login = _verified()
    shop = find_shop(db.session(), login.shop_domain)
    body = read_script("storeflow.js")
    if shop is None or not shop.is_installed or body is None:
        return Response("no installed shop is this one\n", 404, mimetype="text/plain")
    settings = {
        "key": shop.storefront_key,
        "app": current_services().config.app_url,
        "proxy": signed_path_prefix(_signed_url()),
        "forms": read_script(FORMS_SCRIPT) is not None,  # the snippet loads forms.js only when there is one
    }
    prelude = f"window.storeflowSettings = {json.dumps(settings)};\n".encode()
    return script_response(prelude + body, SNIPPET_CACHE, request)


@bp.get(f"{PROXY_ROOT}/forms.js")
@served_only(PLATFORM)
def forms() -> ResponseReturnValue:
    """Serve the signup forms script, or 404 while there is none."""
    _verified()
    return script_response(read_script(FORMS_SCRIPT), SNIPPET_CACHE, request)


@bp.errorhandler(UnsignedLoginError)
def unsigned(exc: UnsignedLoginError) -> ResponseReturnValue:
    """Answer a request that did not come signed through Shopify's app proxy: nothing of the shop."""
    log.info("app proxy %s refused (%s): %s", request.path, status_for(exc), exc)
    return Response(f"{exc}\n", status_for(exc), mimetype="text/plain")


def _signed_url() -> str:
    """The path and raw query exactly as they came: the signature is over the query's own values."""
    return f"{request.path}?{request.environ.get('QUERY_STRING', '')}"


def _verified() -> SignedLogin:
    """Return what Shopify signed about this request; raise UnsignedLoginError (401) otherwise."""
    return AppProxyVerifier(current_services().config)(_signed_url())
