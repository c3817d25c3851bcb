"""Shopify install endpoints (filled in by the install module)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("shopify_install", __name__)
