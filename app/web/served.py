"""A platform the deployment does not serve answers its doors with 404 and the reason, never a 500.

Its views would need secrets that are not set (a Saleor-only deployment has no Shopify client id or
secret), so they are not run at all; the reason names what the operator would set to serve it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, request

from app.core.config import not_served_reason
from app.jobs.services import current_services

log = logging.getLogger(__name__)

View = TypeVar("View", bound=Callable[..., Any])


def not_served(platform: str) -> Response:
    """Answer a request for a platform this deployment does not serve."""
    reason = not_served_reason(platform)
    log.warning("%s %s refused (404): %s", request.method, request.path, reason)
    return Response(reason + "\n", 404, mimetype="text/plain")


def served_only(platform: str) -> Callable[[View], View]:
    """Run the view only while the deployment serves ``platform``; answer 404 otherwise."""

    def decorate(view: View) -> View:
        @wraps(view)
        def gated(*args: Any, **kwargs: Any) -> Any:
            if not current_services().config.serves(platform):
                return not_served(platform)
            return view(*args, **kwargs)

        return cast(View, gated)

    return decorate
