"""Where a consent change came from, as the web request being served says: its IP and user agent."""

from __future__ import annotations

from flask import has_request_context, request

from app.core.facts import Origin


def request_origin() -> Origin:
    """Return the IP and user agent of the HTTP request being served (nothing outside one)."""
    if not has_request_context():
        return Origin()
    return Origin(ip=request.remote_addr, user_agent=request.headers.get("User-Agent"))
