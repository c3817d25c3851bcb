"""Saleor installations: which API URLs may be one, finding their rows, and their stored settings.

A Saleor installation is a ``Shop`` row with ``platform="saleor"`` keyed by the normalized API URL.
Everything Saleor-specific that an installation remembers lives under ``settings["saleor"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Config
from app.db.models import Shop
from app.platforms.saleor.errors import ApiUrlNotAllowedError
from app.platforms.saleor.urls import ApiUrlAllowlist, normalize_api_url
from webhooks.saleor.binding import SETTINGS_KEY

PLATFORM = "saleor"
API_URL_HEADER = "Saleor-Api-Url"
DOMAIN_HEADER = "Saleor-Domain"
# Sent only on the register POST (Saleor 3.23), e.g. "3.23"; the installation keeps it.
SCHEMA_VERSION_HEADER = "Saleor-Schema-Version"


def allowed_api_url(config: Config, raw: str) -> str:
    """Return the normalized API URL if the operator allows that instance; raise otherwise."""
    api_url = normalize_api_url(raw)
    if not ApiUrlAllowlist(config.saleor_allowed_api_urls).allows(api_url):
        raise ApiUrlNotAllowedError(f"{api_url} is not in SALEOR_ALLOWED_API_URLS")
    return api_url


def find_shop(db_session: Session, api_url: str) -> Shop | None:
    """Return the Saleor installation for a normalized API URL, if one was ever stored."""
    return db_session.scalars(select(Shop).filter_by(platform=PLATFORM, domain=api_url)).first()


def saleor_settings(shop: Shop) -> dict[str, Any]:
    """Return what the installation remembers about its Saleor side: app id, ``Saleor-Domain``,
    the events and the fingerprint of the webhooks it subscribed with."""
    return remembered(shop.settings or {})


def remember(shop: Shop, **values: Any) -> None:
    """Store Saleor-side values on the installation (a new dict, so the JSON change is saved)."""
    shop.settings = {**(shop.settings or {}), SETTINGS_KEY: {**saleor_settings(shop), **values}}


def remembered(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return the Saleor section of a shop's settings (as ``saleor_settings`` does for a row)."""
    value = settings.get(SETTINGS_KEY)
    return dict(value) if isinstance(value, dict) else {}
