"""Admin pages (minimal until the admin issue)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__)
