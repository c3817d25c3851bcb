"""Record a Saleor install: Saleor POSTs ``{"auth_token": ...}`` to the manifest's ``tokenTargetUrl``.

The request names its instance in ``Saleor-Api-Url``. We accept it only for an allowlisted
instance (so we never call an address an attacker picked), prove the token by asking that API who
we are (``{ app { id } }``), and only then store it, encrypted, keyed by the normalized API URL.
A retried install may bring a new token: the latest wins. Any non-2xx answer fails the install
and the dashboard shows our ``error.message``. The ``Saleor-Schema-Version`` header comes only with
this request, so the installation keeps it for the deliveries that follow.
https://docs.saleor.io/developer/extending/apps/architecture/app-requirements
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy.orm import Session

from app.db.models import Shop
from app.db.models.rows import get_or_create
from app.platforms.collaborators import PlatformServices
from app.platforms.saleor.errors import (
    ApiUrlNotAllowedError,
    InvalidApiUrlError,
    RegistrationError,
    SaleorApiError,
)
from app.platforms.saleor.graphql import SaleorApi
from app.platforms.saleor.installation import PLATFORM, SCHEMA_VERSION_HEADER, allowed_api_url, remember
from app.platforms.saleor.manifest import fingerprint, subscribed_events
from app.platforms.saleor.urls import origin

log = logging.getLogger(__name__)

WHO_AM_I = "query StoreflowInstall { app { id } shop { name } }"
MAX_TOKEN_LENGTH = 1024
# A schema version as Saleor writes it ("3.23"), within what ``shop.api_version`` holds.
SCHEMA_VERSION = re.compile(r"[0-9A-Za-z.+-]{1,32}")


def register(
    db_session: Session,
    services: PlatformServices,
    raw_api_url: str | None,
    body: Any,
    schema_version: str | None = None,
    saleor_domain: str | None = None,
) -> Shop:
    """Verify and store an install's token; raise RegistrationError with what Saleor should show.

    The ``Saleor-Domain`` and the events the manifest subscribed to are remembered too: deliveries
    are signed with the instance's one key for every app, so they are held to both (13.6).
    """
    token = _auth_token(body)
    api_url = _allowed(services, raw_api_url)
    app_id, shop_name = _check_token(services, api_url, token)
    shop, _ = get_or_create(db_session, Shop, platform=PLATFORM, domain=api_url)
    shop.access_token_enc = services.cipher.encrypt(token)
    shop.installed_at = services.clock.now()
    shop.uninstalled_at = None
    shop.scopes = None
    shop.api_version = _schema_version(schema_version) or shop.api_version
    shop.name = shop_name or shop.name
    shop.storefront_url = shop.storefront_url or origin(api_url)
    # Saleor created our webhooks from the manifest it just read: they carry the current queries.
    remember(
        shop,
        app_id=app_id,
        domain=(saleor_domain or "").strip().lower()[:255] or None,
        events=sorted(subscribed_events(services.config)),
        webhooks_fingerprint=fingerprint(services.config),
    )
    db_session.commit()
    # Forget after the commit: a lookup in between would cache the old state again.
    services.shop_directory.forget(PLATFORM, api_url)
    log.info("saleor instance %s installed Storeflow (shop id %s, app %s)", api_url, shop.id, app_id)
    return shop


def _auth_token(body: Any) -> str:
    token = body.get("auth_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token.strip() or len(token) > MAX_TOKEN_LENGTH:
        raise RegistrationError("MISSING_AUTH_TOKEN", "The request carries no auth_token.")
    return token.strip()


def _schema_version(raw: str | None) -> str | None:
    """Return the header's version, or None when it is missing or not shaped like one."""
    value = (raw or "").strip()
    if SCHEMA_VERSION.fullmatch(value):
        return value
    if value:
        log.warning("saleor install sent an unreadable %s header; ignored", SCHEMA_VERSION_HEADER)
    return None


def _allowed(services: PlatformServices, raw_api_url: str | None) -> str:
    if not raw_api_url:
        raise RegistrationError("MISSING_SALEOR_API_URL", "The Saleor-Api-Url header is missing.")
    try:
        return allowed_api_url(services.config, raw_api_url)
    except InvalidApiUrlError as exc:
        raise RegistrationError("INVALID_SALEOR_API_URL", str(exc)) from None
    except ApiUrlNotAllowedError:
        raise RegistrationError(
            "SALEOR_URL_PROHIBITED",
            "This Storeflow deployment does not accept installs from this Saleor instance; "
            "ask its operator to add the API URL to SALEOR_ALLOWED_API_URLS.",
        ) from None


def _check_token(services: PlatformServices, api_url: str, token: str) -> tuple[str, str | None]:
    """Ask the instance who the token belongs to; return our app id and the shop's name."""
    try:
        data = SaleorApi(services.http, api_url, token).execute(WHO_AM_I)
    except SaleorApiError as exc:
        log.warning("saleor install from %s refused: token check failed: %s", api_url, exc)
        if exc.transient:
            raise RegistrationError(
                "SALEOR_UNREACHABLE", "Storeflow could not reach the Saleor API to check the token."
            ) from None
        raise RegistrationError(
            "INVALID_AUTH_TOKEN", "The Saleor API did not accept the auth_token."
        ) from None
    app = data.get("app")
    app_id = app.get("id") if isinstance(app, dict) else None
    if not isinstance(app_id, str) or not app_id:
        raise RegistrationError("UNKNOWN_APP_ID", "The auth_token does not belong to an app.")
    shop = data.get("shop")
    name = shop.get("name") if isinstance(shop, dict) else None
    return app_id, name[:255] if isinstance(name, str) and name.strip() else None
