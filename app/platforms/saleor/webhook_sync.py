"""Bring an installation's webhooks up to date when our manifest's queries changed since it installed.

Saleor keeps the subscription query it read at install. Each installation remembers the
fingerprint of the webhook set it got (app/platforms/saleor/manifest.py); when that differs from the current
one, a job rewrites the app's webhooks in place with ``webhookUpdate`` (matched by name, created
with ``webhookCreate`` when missing) and stores the new fingerprint. The job is queued when the
merchant opens Storeflow from the dashboard, or for every stale installation by
``flask --app wsgi saleor sync-webhooks`` (run it after a deploy that changes queries).
https://docs.saleor.io/api-reference/webhooks/mutations/webhook-update
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Config
from app.db.models import Shop
from app.platforms.collaborators import PlatformServices
from app.platforms.saleor.errors import SaleorApiError
from app.platforms.saleor.graphql import SaleorApi
from app.platforms.saleor.installation import PLATFORM, remember, saleor_settings
from app.platforms.saleor.manifest import WEBHOOK_PATH, fingerprint, subscribed_events, webhook_definitions

log = logging.getLogger(__name__)

OUR_WEBHOOKS = "query StoreflowWebhooks { app { webhooks { id name } } }"
UPDATE = """
mutation StoreflowWebhookUpdate($id: ID!, $input: WebhookUpdateInput!) {
  webhookUpdate(id: $id, input: $input) { errors { field message } }
}
"""
CREATE = """
mutation StoreflowWebhookCreate($input: WebhookCreateInput!) {
  webhookCreate(input: $input) { errors { field message } }
}
"""


def is_stale(shop: Shop, config: Config) -> bool:
    """Tell whether the installation's webhooks were made from other queries than ours today."""
    return saleor_settings(shop).get("webhooks_fingerprint") != fingerprint(config)


def sync_webhooks(db_session: Session, services: PlatformServices, shop_id: int) -> str:
    """Rewrite the installation's webhooks with the current queries (queued by app/jobs/installs.py)."""
    shop = db_session.scalars(select(Shop).filter_by(id=shop_id, platform=PLATFORM)).first()
    if shop is None or not shop.is_installed or shop.access_token_enc is None:
        return "not installed"
    config = services.config
    if not is_stale(shop, config):
        return "current"
    api = SaleorApi(services.http, shop.domain, services.cipher.decrypt(shop.access_token_enc))
    # Deliveries are accepted only for events the installation subscribed to: widen the set before
    # Saleor starts sending the new ones (one it never sends is harmless; one refused is lost).
    remember(
        shop,
        events=sorted(set(saleor_settings(shop).get("events") or ()) | subscribed_events(config)),
    )
    db_session.commit()
    try:
        _rewrite(api, config)
    except SaleorApiError as exc:
        if exc.transient:
            raise  # RQ retries it
        log.warning("saleor instance %s refused the webhook update; reinstall needed: %s", shop.domain, exc)
        return "refused"
    remember(
        shop,
        events=sorted(subscribed_events(config)),
        webhooks_fingerprint=fingerprint(config),
    )
    db_session.commit()
    log.info("saleor instance %s: webhooks updated to the current queries", shop.domain)
    return "updated"


def _rewrite(api: SaleorApi, config: Config) -> None:
    existing = _existing_webhooks(api)
    target = config.app_url + WEBHOOK_PATH
    for definition in webhook_definitions(config):
        fields = definition.as_manifest(target)
        if definition.name in existing:
            _mutate(api, UPDATE, "webhookUpdate", {"id": existing[definition.name], "input": fields})
        else:
            _mutate(api, CREATE, "webhookCreate", {"input": fields})


def _existing_webhooks(api: SaleorApi) -> dict[str, str]:
    app = api.execute(OUR_WEBHOOKS).get("app") or {}
    webhooks = app.get("webhooks") if isinstance(app, dict) else None
    return {
        w["name"]: w["id"] for w in webhooks or [] if isinstance(w, dict) and w.get("name") and w.get("id")
    }


def _mutate(api: SaleorApi, mutation: str, field: str, variables: dict[str, Any]) -> None:
    result = api.execute(mutation, variables).get(field) or {}
    errors = result.get("errors") if isinstance(result, dict) else None
    if errors:
        raise SaleorApiError(f"{field} refused: {errors}", 400)
