"""What a merchant sets for a Saleor installation: the storefront's checkout URL, and the consent rule.

Saleor hosts no recovery page, so the abandoned-checkout flow sends nothing until the merchant says
where their storefront reopens a checkout; the reference storefront uses
``https://shop.example/checkout?checkout={checkout_id}``, ``{checkout_id}`` being the checkout's
global id. Consent is read from public metadata keys the operator configures (docs/saleor.md,
"Consent on Saleor").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from app.core.config import Config
from app.core.errors import StoreflowError
from app.db.models import Shop
from app.ingest.recovery_links import PLACEHOLDER, TEMPLATE_SETTING, relink_open_checkouts, template_of
from webhooks.saleor.normalize import SUBSCRIBED_VALUES, UNSUBSCRIBED_VALUES

log = logging.getLogger(__name__)

EXAMPLE_TEMPLATE = "https://shop.example/checkout?checkout={checkout_id}"
MAX_TEMPLATE_LENGTH = 1024


class SettingsError(StoreflowError, ValueError):
    """A submitted setting is refused; the message says how to fix it."""


@dataclass(frozen=True)
class ConsentRule:
    """How Storeflow reads a Saleor shopper's marketing consent, for the admin page."""

    email_key: str
    sms_key: str
    subscribed_values: tuple[str, ...] = SUBSCRIBED_VALUES
    unsubscribed_values: tuple[str, ...] = UNSUBSCRIBED_VALUES


def consent_rule(config: Config) -> ConsentRule:
    """Return the consent rule this deployment applies to Saleor shops."""
    return ConsentRule(config.saleor_consent_metadata_key, config.saleor_sms_consent_metadata_key)


def checkout_url_template(shop: Shop) -> str | None:
    """Return the shop's storefront checkout-URL template, if set."""
    return template_of(shop.settings or {})


def validate_template(raw: str) -> str:
    """Return the template if it is an https URL with one ``{checkout_id}``; raise SettingsError."""
    template = raw.strip()
    if not template:
        raise SettingsError(f"Enter your storefront's checkout URL, e.g. {EXAMPLE_TEMPLATE}")
    if len(template) > MAX_TEMPLATE_LENGTH:
        raise SettingsError(f"The checkout URL must be at most {MAX_TEMPLATE_LENGTH} characters.")
    if template.count(PLACEHOLDER) != 1 or template.replace(PLACEHOLDER, "").count("{"):
        raise SettingsError(
            f"The checkout URL must contain {PLACEHOLDER} exactly once and no other braces, "
            f"e.g. {EXAMPLE_TEMPLATE}"
        )
    parts = urlsplit(template.replace(PLACEHOLDER, "id"))
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise SettingsError("The checkout URL must be an https:// address of your storefront.")
    if any(ch.isspace() for ch in template):
        raise SettingsError("The checkout URL must not contain spaces.")
    return template


def save_checkout_url_template(db_session: Session, shop: Shop, raw: str) -> int:
    """Validate and store the template, relink open checkouts, and return how many were relinked."""
    template = validate_template(raw)
    parts = urlsplit(template.replace(PLACEHOLDER, "id"))
    shop.settings = {**(shop.settings or {}), TEMPLATE_SETTING: template}
    # The storefront's origin is where shoppers browse: messages link products and the shop there.
    shop.storefront_url = f"{parts.scheme}://{parts.netloc}"
    relinked = relink_open_checkouts(db_session, shop.id, template)
    db_session.commit()
    log.info("shop %s: checkout URL template set; %d open checkout(s) relinked", shop.id, relinked)
    return relinked
