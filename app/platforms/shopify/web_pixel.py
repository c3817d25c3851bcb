"""Switch on Storeflow's web pixel in a shop, and keep its settings current: no step for the merchant.

The pixel extension (``extensions/storeflow-pixel``) ships with the app, but runs in a shop only once
the app creates it there with ``webPixelCreate``; its settings (the storefront key, the events URL)
must match the extension's ``[settings]`` or Shopify refuses them. When they change (APP_URL moved,
the key changed) ``webPixelUpdate`` replaces them. A shop has one pixel per app: a create that
Shopify answers "taken" means it exists already (made before we stored its id, or by hand), so it is
looked up with the ``webPixel`` query and updated. Both need ``write_pixels`` (and the pixel itself
``read_customer_events``); a shop that has not granted them gets a problem in words the merchant can
act on, shown in the admin, not a failed job.
https://shopify.dev/docs/api/admin-graphql/latest/mutations/webPixelCreate
https://shopify.dev/docs/apps/build/marketing-analytics/build-web-pixels
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.core.config import Config
from app.db.models import Shop
from app.platforms.shopify.graphql import ShopifyAdmin

log = logging.getLogger(__name__)

# Shop.settings key: {"id", "settings" (what Shopify holds), "problem", "checked_at"}.
SETTINGS_KEY = "web_pixel"
PIXEL_SCOPES = ("write_pixels", "read_customer_events")
EVENTS_PATH = "/storefront/events"  # the events endpoint the pixel posts to (app/web/storefront/ingress.py)
# How long a shop whose pixel could not be switched on waits before the admin tries again.
RECHECK_AFTER = timedelta(minutes=15)

GRANTED_SCOPES = "query GrantedScopes { currentAppInstallation { accessScopes { handle } } }"
CREATE = """
mutation CreateWebPixel($webPixel: WebPixelInput!) {
  webPixelCreate(webPixel: $webPixel) { userErrors { code field message } webPixel { id settings } }
}
"""
UPDATE = """
mutation UpdateWebPixel($id: ID!, $webPixel: WebPixelInput!) {
  webPixelUpdate(id: $id, webPixel: $webPixel) { userErrors { code field message } webPixel { id settings } }
}
"""
FIND = "query AppWebPixel { webPixel { id settings } }"


def missing_scopes_problem(missing: list[str]) -> str:
    """Say, in a merchant's words, why the pixel is off and what switches it on."""
    return (
        "Storeflow cannot switch on its web pixel yet: Shopify has not granted it "
        f"{' and '.join(missing)}. Open Storeflow from your Shopify admin and approve the updated "
        "permissions; browse, search and price-drop flows need the pixel."
    )


def pixel_settings(shop: Shop, config: Config) -> dict[str, str]:
    """Return the settings the pixel needs, named as extensions/storeflow-pixel's ``[settings]`` fields."""
    return {"storefrontKey": shop.storefront_key, "endpoint": config.app_url + EVENTS_PATH}


def pixel_state(shop: Shop) -> dict[str, Any]:
    """Return what is stored about the shop's pixel (empty before the first attempt)."""
    state = (shop.settings or {}).get(SETTINGS_KEY)
    return state if isinstance(state, dict) else {}


def pixel_problem(shop: Shop) -> str | None:
    """Return why the shop's pixel is not running, if an attempt said so."""
    problem = pixel_state(shop).get("problem")
    return problem if isinstance(problem, str) else None


def needs_pixel_sync(shop: Shop, config: Config, now: datetime) -> bool:
    """Tell whether the shop's pixel is missing or holds other settings than it should.

    After a problem the next try waits ``RECHECK_AFTER``, so an admin page view is not an API call.
    """
    state = pixel_state(shop)
    if state.get("id") and state.get("settings") == pixel_settings(shop, config) and not state.get("problem"):
        return False
    checked = state.get("checked_at")
    if state.get("problem") and isinstance(checked, str):
        try:
            return now - datetime.fromisoformat(checked) >= RECHECK_AFTER
        except ValueError:
            return True
    return True


@dataclass(frozen=True)
class _Answer:
    pixel: dict[str, Any] | None
    errors: list[dict[str, Any]]

    def has(self, code: str) -> bool:
        return any(e.get("code") == code for e in self.errors)


def sync_web_pixel(admin: ShopifyAdmin, config: Config, now: datetime) -> None:
    """Create or update the shop's web pixel with the settings it needs, and record the outcome.

    The caller commits. Transport and API failures raise (the job retries); what Shopify refuses
    is recorded as the shop's pixel problem.
    """
    shop = admin.shop
    granted = _granted_scopes(admin)
    if granted:
        shop.scopes = ",".join(granted)  # what the token holds now, after any approval since install
    missing = [scope for scope in PIXEL_SCOPES if scope not in granted]
    if missing:
        _record(shop, now, problem=missing_scopes_problem(missing))
        log.info("shop %s: web pixel not switched on, missing %s", shop.domain, ", ".join(missing))
        return
    wanted = pixel_settings(shop, config)
    answer = _put(admin, pixel_state(shop).get("id"), wanted)
    if answer.errors:
        messages = "; ".join(str(e.get("message", "")) for e in answer.errors)
        _record(shop, now, problem=_refusal_problem(answer, messages))
        log.warning("shop %s: web pixel refused: %s", shop.domain, messages)
        return
    pixel_id = str((answer.pixel or {}).get("id") or "")
    _record(shop, now, pixel_id=pixel_id, settings=wanted)
    log.info("shop %s: web pixel %s holds the current settings", shop.domain, pixel_id)


def _refusal_problem(answer: _Answer, messages: str) -> str:
    """Word a refusal for the merchant; a pixel the app never deployed is the operator's to fix."""
    if answer.has("NO_EXTENSION"):
        return (
            "Storeflow's web pixel is not deployed with this app yet, so browse and search flows "
            "cannot see your storefront. Ask your Storeflow operator to run `shopify app deploy`."
        )
    return f"Shopify refused Storeflow's web pixel settings: {messages}"


def _put(admin: ShopifyAdmin, known_id: object, wanted: dict[str, str]) -> _Answer:
    """Update the pixel we know; create it otherwise; update the one Shopify has when it says "taken"."""
    web_pixel = {"settings": json.dumps(wanted, separators=(",", ":"))}
    if isinstance(known_id, str) and known_id:
        answer = _mutate(admin, UPDATE, "webPixelUpdate", {"id": known_id, "webPixel": web_pixel})
        if not answer.has("NOT_FOUND"):
            return answer  # gone (the merchant removed it): make it again
    answer = _mutate(admin, CREATE, "webPixelCreate", {"webPixel": web_pixel})
    if not answer.has("TAKEN"):
        return answer
    existing = admin.execute(FIND).get("webPixel") or {}
    if not existing.get("id"):
        return answer
    return _mutate(admin, UPDATE, "webPixelUpdate", {"id": existing["id"], "webPixel": web_pixel})


def _mutate(admin: ShopifyAdmin, document: str, field: str, variables: dict[str, Any]) -> _Answer:
    payload = admin.execute(document, variables).get(field) or {}
    errors = [e for e in payload.get("userErrors") or [] if isinstance(e, dict)]
    pixel = payload.get("webPixel")
    return _Answer(pixel if isinstance(pixel, dict) else None, errors)


def _granted_scopes(admin: ShopifyAdmin) -> list[str]:
    installation = admin.execute(GRANTED_SCOPES).get("currentAppInstallation") or {}
    return [
        str(scope["handle"])
        for scope in installation.get("accessScopes") or []
        if isinstance(scope, dict) and scope.get("handle")
    ]


def _record(
    shop: Shop,
    now: datetime,
    problem: str | None = None,
    pixel_id: str | None = None,
    settings: dict[str, str] | None = None,
) -> None:
    """Store the outcome in Shop.settings (a new dict, so the JSON column sees the change)."""
    state = pixel_state(shop)
    updated = {
        "id": pixel_id or state.get("id"),
        "settings": settings if problem is None else state.get("settings"),
        "problem": problem,
        "checked_at": now.isoformat(),
    }
    shop.settings = {**(shop.settings or {}), SETTINGS_KEY: updated}
