"""Verify the token the Saleor dashboard hands our admin page, and find the installation it speaks for.

The dashboard opens ``appUrl`` in an iframe and posts it a JWT (the AppBridge ``handshake``); our
page sends it back as ``Authorization: Bearer`` with the instance's ``Saleor-Api-Url``. The token
is issued by that instance (RS256, verified with the same JWKS as webhooks) for one staff user and
one app. We accept it only when the instance is an installed, allowlisted one, the signature and
``exp`` hold, ``iss`` (when present) is that instance, ``type`` is ``thirdparty`` and ``app`` is
the app id this installation was registered with, and the user may manage apps. The header only
says which keys to check against: a token from another instance, or for another installation's
app, fails, so no request can name a shop it was not issued for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from sqlalchemy.orm import Session

from app.core.api_urls import DEFAULT_PORTS
from app.core.config import Config
from app.db.models import Shop
from app.platforms.collaborators import PlatformServices
from app.platforms.saleor.errors import (
    ApiUrlNotAllowedError,
    DashboardTokenError,
    InvalidApiUrlError,
)
from app.platforms.saleor.installation import allowed_api_url, find_shop, saleor_settings
from app.platforms.saleor.urls import normalize_api_url
from webhooks.saleor.errors import UnknownSigningKeyError

log = logging.getLogger(__name__)


def frame_ancestors(config: Config) -> tuple[str, ...]:
    """Who may frame the app page: the allowlisted instances' origins (Saleor Cloud serves its
    dashboard there) and the dashboards the operator lists (a self-hosted one on its own host)."""
    instances = []
    for pattern in config.saleor_allowed_api_urls:
        parts = urlsplit(pattern.lower())
        default = f":{DEFAULT_PORTS.get(parts.scheme)}"
        instances.append(f"{parts.scheme}://{parts.netloc.removesuffix(default)}")
    return tuple(dict.fromkeys([*instances, *config.saleor_dashboard_origins]))


TOKEN_TYPE = "thirdparty"
REQUIRED_USER_PERMISSION = "MANAGE_APPS"
LEEWAY_SECONDS = 10


@dataclass(frozen=True)
class DashboardSession:
    shop: Shop
    user_email: str | None


def authenticate(
    db_session: Session, services: PlatformServices, authorization: str | None, raw_api_url: str | None
) -> DashboardSession:
    """Return the installation a dashboard request speaks for, or raise DashboardTokenError."""
    token = _bearer(authorization)
    try:
        api_url = allowed_api_url(services.config, raw_api_url or "")
    except (InvalidApiUrlError, ApiUrlNotAllowedError) as exc:
        raise DashboardTokenError(str(exc)) from None
    shop = find_shop(db_session, api_url)
    app_id = saleor_settings(shop).get("app_id") if shop is not None else None
    if shop is None or not shop.is_installed or not app_id:
        raise DashboardTokenError(f"{api_url} has no installation of Storeflow")
    claims = _verified_claims(services, api_url, token)
    _check_claims(claims, api_url, app_id)
    return DashboardSession(shop, claims.get("email") if isinstance(claims.get("email"), str) else None)


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise DashboardTokenError("no bearer token")
    return token.strip()


def _verified_claims(services: PlatformServices, api_url: str, token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise DashboardTokenError("token is not a JWT") from None
    if header.get("alg") != "RS256":
        raise DashboardTokenError(f"token must be RS256, not {header.get('alg')!r}")
    kid = header.get("kid")
    try:
        claims: dict[str, Any] = services.saleor_jwks.verify(
            api_url,
            kid if isinstance(kid, str) else None,
            lambda key: jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp"], "verify_aud": False},
            ),
        )
    except UnknownSigningKeyError as exc:
        raise DashboardTokenError(str(exc)) from None
    except jwt.PyJWTError as exc:
        raise DashboardTokenError(f"token refused: {exc}") from None
    return claims


def _check_claims(claims: dict[str, Any], api_url: str, app_id: str) -> None:
    issuer = claims.get("iss")
    if issuer is not None and (not isinstance(issuer, str) or _normalized(issuer) != api_url):
        raise DashboardTokenError(f"token issued by {issuer!r}, not {api_url}")
    if claims.get("type") != TOKEN_TYPE:
        raise DashboardTokenError(f"token type {claims.get('type')!r} is not {TOKEN_TYPE!r}")
    if claims.get("app") != app_id:
        raise DashboardTokenError("token was issued for another app")
    permissions = claims.get("user_permissions")
    if not isinstance(permissions, list) or REQUIRED_USER_PERMISSION not in permissions:
        raise DashboardTokenError(f"the dashboard user lacks {REQUIRED_USER_PERMISSION}")


def _normalized(url: str) -> str | None:
    try:
        return normalize_api_url(url)
    except InvalidApiUrlError:
        return None
