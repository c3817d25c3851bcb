"""Record a Shopify install, whichever way it happened (OAuth code grant or token exchange)."""

from __future__ import annotations

import logging
from datetime import datetime

from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Shop
from app.db.models.rows import get_or_create
from app.jobs.services import Services
from app.platforms.shopify.jobs import after_install

log = logging.getLogger(__name__)

PLATFORM = "shopify"


def find_shop(db_session: Session, domain: str) -> Shop | None:
    """Return the Shopify shop row for a myshopify.com domain, if one was ever stored."""
    return db_session.scalars(select(Shop).where(Shop.platform == PLATFORM, Shop.domain == domain)).first()


def install_shop(
    db_session: Session,
    services: Services,
    domain: str,
    access_token: str,
    scope: str,
    expires_at: datetime | None,
    refresh_token: str | None,
    refresh_token_expires_at: datetime | None,
) -> Shop:
    """Store fresh offline tokens (encrypted) and mark the shop installed, then queue its set-up job."""
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
    _enqueue_after_install(services, shop.id)
    return shop


def _enqueue_after_install(services: Services, shop_id: int) -> None:
    """Queue shop details and webhook registration; the install itself must not fail when Redis does."""
    try:
        services.queue.enqueue(after_install, shop_id, retry=Retry(max=3, interval=[30, 120, 600]))
    except RedisError as exc:
        log.warning(
            "could not queue after_install for shop %s; details and webhooks wait for the next install: %s",
            shop_id,
            exc,
        )
