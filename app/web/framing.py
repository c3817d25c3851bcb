"""Clickjacking: every response says who may show it in a frame, and that is nobody by default.

A page that any site can frame can be laid under a decoy and clicked through (a switch flipped, a
contact erased). Shopify asks every HTML route of an embedded app for ``frame-ancestors`` naming the
shop and ``https://admin.shopify.com``, and ``'none'`` where nothing embeds it
(https://shopify.dev/docs/apps/build/security/set-up-iframe-protection). A view whose page is meant
to be framed names its ancestors with ``allow_framing_by`` (the embedded Shopify admin, the Saleor
dashboard's app page, the hosted notify-me form); everything else gets ``frame-ancestors 'none'``
and ``X-Frame-Options: DENY`` for browsers that predate CSP.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, g
from werkzeug.wrappers import Response

CSP = "Content-Security-Policy"
NOBODY = "'none'"


def allow_framing_by(origins: Iterable[str]) -> None:
    """Let this request's page be framed by these origins only (none given: by nobody)."""
    g.frame_ancestors = tuple(dict.fromkeys(origins))


def frame_policy(response: Response) -> Response:
    """Write the request's framing policy into the response, keeping any other CSP directive."""
    ancestors: tuple[str, ...] = g.get("frame_ancestors", ())
    others = [d.strip() for d in response.headers.get(CSP, "").split(";") if d.strip()]
    kept = [d for d in others if not d.lower().startswith("frame-ancestors")]
    response.headers[CSP] = "; ".join([*kept, f"frame-ancestors {' '.join(ancestors) or NOBODY}"])
    if ancestors:
        response.headers.pop("X-Frame-Options", None)
    else:
        response.headers["X-Frame-Options"] = "DENY"
    return response


def _nobody_yet() -> None:
    """Start each request with no ancestors, even where an app context outlives requests (tests)."""
    g.frame_ancestors = ()


def protect_from_framing(app: Flask) -> None:
    """Give every response the app serves through Flask its framing policy."""
    app.before_request(_nobody_yet)
    app.after_request(frame_policy)
