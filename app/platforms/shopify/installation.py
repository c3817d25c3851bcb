"""Record a Shopify install, whichever way it happened (OAuth code grant or token exchange)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Shop
from app.db.models.rows import get_or_create
from app.platforms.collaborators import PlatformServices

log = logging.getLogger(__name__)

PLATFORM = "shopify"


def find_shop(db_session: Session, domain: str) -> Shop | None:
    """Return the Shopify shop row for a myshopify.com domain, if one was ever stored."""
    return db_session.scalars(select(Shop).filter_by(platform=PLATFORM, domain=domain)).first()


def install_shop(
    db_session: Session,
    services: PlatformServices,
    domain: str,
    access_token: str,
    scope: str,
    expires_at: datetime | None,
    refresh_token: str | None,
    refresh_token_expires_at: datetime | None,
    set_up: Callable[[int], None],
) -> Shop:
    """Store fresh offline tokens (encrypted) and mark the shop installed, then ``set_up`` its id.

    ``set_up`` queues the details and webhook registration (app/jobs/installs.py); it must not fail
    the install when the queue does.
    """
    shop, _ = get_or_create(db_session, Shop, platform=PLATFORM, domain=domain)
    cipher = services.cipher
    shop.access_token_enc = cipher.encrypt(access_token)
    shop.access_token_expires_at = expires_at
    shop.refresh_token_enc = cipher.encrypt(refresh_token) if refresh_token else None
    shop.refresh_token_expires_at = refresh_token_expires_at
    shop.scopes = scope
    shop.installed_at = services.clock.now()
    shop.uninstalled_at = None
    db_session.commit()
    # Forget after the commit: a lookup between forget and commit would cache the old state again.
    services.shop_directory.forget(PLATFORM, domain)
    log.info("shopify shop %s installed (shop id %s, scopes %s)", domain, shop.id, scope)
    set_up(shop.id)
    return shop
