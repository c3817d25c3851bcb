"""The storefront's scripts as a headless storefront (Saleor) fetches them: snippet and service worker.

``GET /storefront/storeflow.js?k=<storefront key>`` and ``GET /storefront/storeflow-sw.js?k=...``.
A ``<script>`` tag needs no CORS, but a storefront that fetches them (a build step, an edge worker
that serves the worker from the storefront's own origin, a ``crossorigin`` tag for error reports)
does: the answer allows the shop's own storefront origins, and no other. Both carry an ETag, so a
revalidation costs a 304. The snippet may be cached for a few minutes; the worker is revalidated on
every check (``no-cache``), since browsers compare it byte for byte to find an update and a stale
copy would keep an old worker running. A service worker must come from the page's own origin: the
storefront copies or proxies this file (docs/storefront.md).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Request, Response, abort, request
from flask.typing import ResponseReturnValue

from app.db import db
from app.db.models import Shop
from app.storefront.origins import allowed_origins
from app.web.platforms import platform_of

bp = Blueprint("storefront_scripts", __name__)

STATIC = Path(__file__).resolve().parents[2] / "static"
SNIPPET = "storeflow.js"
WORKER = "storeflow-sw.js"
SNIPPET_CACHE = "public, max-age=300"
WORKER_CACHE = "no-cache"


@bp.get(f"/storefront/{SNIPPET}")
def snippet() -> ResponseReturnValue:
    """Serve the snippet, readable by the shop's own storefronts."""
    return _for_shop(script_response(read_script(SNIPPET), SNIPPET_CACHE, request))


@bp.get(f"/storefront/{WORKER}")
def worker() -> ResponseReturnValue:
    """Serve the service worker, for the storefront to serve from its own origin."""
    return _for_shop(script_response(read_script(WORKER), WORKER_CACHE, request))


def read_script(name: str) -> bytes | None:
    """Return a script of app/static, or None when it is not there (the forms script, before it ships)."""
    path = STATIC / name
    try:
        return _read(path, path.stat().st_mtime_ns)
    except FileNotFoundError:
        return None


@lru_cache(maxsize=8)
def _read(path: Path, modified: int) -> bytes:
    """Read once per version of the file (``modified`` is part of the key)."""
    return path.read_bytes()


def script_response(body: bytes | None, cache_control: str, incoming: Request) -> Response:
    """Answer a script with its ETag and caching, or a 304 to a revalidation; 404 when there is none."""
    if body is None:
        return Response("not available\n", 404, mimetype="text/plain")
    response = Response(body, mimetype="application/javascript")
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.add_etag()
    response.make_conditional(incoming)  # in place: a matching If-None-Match turns it into a 304
    return response


def _for_shop(response: Response) -> Response:
    """Name the shop by its key (404 when none has it) and allow CORS for its storefront origins only."""
    key = request.args.get("k", "")[:64]
    shop = db.session.query(Shop).filter_by(storefront_key=key).first() if key else None
    if shop is None or not shop.is_installed:
        abort(404, description="no installed shop has this storefront key")
    origin = request.headers.get("Origin", "")
    response.vary.add("Origin")
    if origin and origin in allowed_origins(
        platform_of(shop), shop.domain, shop.storefront_url, shop.settings
    ):
        response.headers["Access-Control-Allow-Origin"] = origin
    return response
