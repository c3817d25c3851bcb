"""A Shopify-hosted storefront on 127.0.0.1, with Shopify's app proxy in front of Storeflow.

A real HTTP server playing the shop's own domain: it serves the pages a test gives it, and forwards
``/apps/storeflow/<rest>`` to Storeflow's ``/shopify/proxy/<rest>`` the way Shopify does, adding
``shop``, ``logged_in_customer_id``, ``path_prefix`` and ``timestamp`` and signing them with the
app's secret (https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies).
A browser on its pages sees one origin for the page, the snippet and the service worker, as it
does on a real Shopify store::

    with ShopifyStorefront(app_url) as shop:
        shop.pages["/products/shirt"] = "<!doctype html>..."
        shop.assets["/cdn/notify-me.js"] = "..."   # what Shopify's CDN serves of an extension's assets/
        shop.forwarded   # [(method, storefront path, Storeflow's status), ...]
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.platforms.shopify.app_proxy import DEFAULT_PATH_PREFIX, PROXY_ROOT, signed_query
from tests.support.shopify import SHOP_DOMAIN, TEST_SECRET

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

# What a proxy passes back of Storeflow's answer (hop-by-hop and length headers are its own).
PASSED_HEADERS = ("Content-Type", "Cache-Control", "ETag", "Access-Control-Allow-Origin", "Vary")


class ShopifyStorefront:
    def __init__(self, app_url: str, shop_domain: str = SHOP_DOMAIN, secret: str = TEST_SECRET) -> None:
        self.app_url = app_url
        self.shop_domain = shop_domain
        self.secret = secret
        self.pages: dict[str, str] = {}
        self.assets: dict[str, str] = {}
        self.forwarded: list[tuple[str, str, int]] = []
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> ShopifyStorefront:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse):  # type: ignore[no-untyped-def]
        request = Request(environ)
        if request.path.startswith(DEFAULT_PATH_PREFIX + "/"):
            response = self._forward(request)
        elif request.path in self.pages:
            response = Response(self.pages[request.path], mimetype="text/html")
        elif request.path in self.assets:
            mimetype = "text/css" if request.path.endswith(".css") else "application/javascript"
            response = Response(self.assets[request.path], mimetype=mimetype)
        else:
            response = Response("not found", 404)
        return response(environ, start_response)

    def _forward(self, request: Request) -> Response:
        """Forward as Shopify's app proxy does: same method, body and query, plus its signed parameters."""
        rest = request.path.removeprefix(DEFAULT_PATH_PREFIX)
        params = {
            **dict(parse_qsl(request.query_string.decode())),
            "shop": self.shop_domain,
            "logged_in_customer_id": "",
            "path_prefix": DEFAULT_PATH_PREFIX,
            "timestamp": str(int(time.time())),
        }
        headers = {
            name: value
            for name, value in request.headers.items()
            if name in ("Content-Type", "If-None-Match", "User-Agent")
        }
        answer = requests.request(
            request.method,
            f"{self.app_url}{PROXY_ROOT}{rest}?{signed_query(params, self.secret)}",
            data=request.get_data(),
            headers=headers,
            timeout=10,
        )
        self.forwarded.append((request.method, request.path, answer.status_code))
        passed = {name: answer.headers[name] for name in PASSED_HEADERS if name in answer.headers}
        return Response(answer.content, answer.status_code, headers=passed)
