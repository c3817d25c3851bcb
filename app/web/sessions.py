"""Flask's cookie session, except on webhook endpoints."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessionExceptWebhooks(SecureCookieSessionInterface):
    """Open no session for platform webhooks: they never carry our cookie, and the signer setup
    Flask does for every request with a SECRET_KEY is measurable on the hottest path we have."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/webhooks/"):
            return None  # Flask substitutes a null session, which is never saved
        return super().open_session(app, request)
