"""A merchant's sending preferences, kept in ``Shop.settings``: sender, providers, quiet hours, budget.

The admin writes them and the sender reads them, so their shape lives here and nowhere else.
Provider secrets are stored encrypted with the token cipher and are never read back into a page.
Quiet hours, the contact budget, the flow priority and the frequency cap are enforced at send time
(app/messaging/send_rules.py, app/messaging/budget.py), the live-store check just before sending
(app/storecheck/); a shop that never set them gets the defaults below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

from app.core.config import Config
from app.core.crypto import TokenCipher
from app.db.models import Shop
from app.shops.flow_priority import DEFAULT_ORDER, PriorityOrderError, checked_order

SENDER = "sender"
PROVIDERS = "providers"
QUIET_HOURS = "quiet_hours"
SEND_WINDOWS = "send_windows"
FREQUENCY_CAP = "frequency_cap"
# The contact budget's section keeps the key smart sending was stored under: the budget replaced
# it, and shops that saved a window keep it.
SMART_SENDING = "smart_sending"
FLOW_PRIORITY = "flow_priority"
STORE_CHECK = "store_check"
# What to do with a message when the store's API cannot be asked whether it is still true.
SEND_ANYWAY = "send"
SKIP_MESSAGE = "skip"
# Klaviyo's and Omnisend's peers: texts wait out the night in the shopper's time zone.
DEFAULT_QUIET_HOURS = (time(21, 0), time(8, 0))
# The hours of the shopper's day a channel may reach them in, when the merchant set none. A push
# lights up a phone like a text, so it keeps to daytime; an email waits silently in the inbox, so
# it goes whenever its flow says (a merchant may still give it a window).
DEFAULT_SEND_WINDOWS: dict[str, tuple[time, time] | None] = {"push": (time(8, 0), time(21, 0)), "email": None}
# Klaviyo's smart-sending window for email: one marketing message per 16 hours, here across channels.
DEFAULT_SMART_SENDING_HOURS = 16
DEFAULT_BUDGET_MESSAGES = 1
SENDGRID = "sendgrid"
TWILIO = "twilio"
# The field of each provider's record that holds its secret, encrypted with the token cipher;
# `flask storeflow rotate-tokens` re-encrypts exactly these (app/shops/token_rotation.py).
ENCRYPTED_PROVIDER_FIELDS = {SENDGRID: "api_key", TWILIO: "auth_token"}
# The development default of MAIL_FROM: nothing sent from it would reach anyone.
PLACEHOLDER_DOMAIN = ".invalid"


@dataclass(frozen=True)
class SenderIdentity:
    name: str
    address: str

    @property
    def usable(self) -> bool:
        """Tell whether mail from this address can be delivered at all."""
        return bool(self.address) and not self.address.endswith(PLACEHOLDER_DOMAIN)


@dataclass(frozen=True)
class Budget:
    """At most ``messages`` marketing messages per contact within ``window``, on any channel."""

    messages: int
    window: timedelta


@dataclass(frozen=True)
class TwilioAccount:
    account_sid: str
    auth_token: str
    from_number: str = ""
    messaging_service_sid: str = ""


def section(shop: Shop, key: str) -> dict[str, Any]:
    """Return one stored section of the shop's settings (empty when unset)."""
    value = (shop.settings or {}).get(key)
    return dict(value) if isinstance(value, dict) else {}


def store_section(shop: Shop, key: str, value: dict[str, Any] | None) -> None:
    """Replace one section of the shop's settings (None removes it), keeping the others."""
    settings = dict(shop.settings or {})
    if value is None:
        settings.pop(key, None)
    else:
        settings[key] = value
    shop.settings = settings


def provider(shop: Shop, name: str) -> dict[str, Any]:
    """Return the stored record of one provider (secrets still encrypted)."""
    record = section(shop, PROVIDERS).get(name)
    return dict(record) if isinstance(record, dict) else {}


def store_provider(shop: Shop, name: str, record: dict[str, Any] | None) -> None:
    """Replace or remove one provider's record."""
    providers = section(shop, PROVIDERS)
    if record is None:
        providers.pop(name, None)
    else:
        providers[name] = record
    store_section(shop, PROVIDERS, providers or None)


def quiet_hours(shop: Shop) -> tuple[time, time]:
    """Return when SMS must not go out, in the shopper's local time (start, end; may span midnight)."""
    stored = section(shop, QUIET_HOURS)
    try:
        return time.fromisoformat(stored["start"]), time.fromisoformat(stored["end"])
    except (KeyError, TypeError, ValueError):
        return DEFAULT_QUIET_HOURS


def send_window(shop: Shop, channel: str) -> tuple[time, time] | None:
    """Return the hours of the shopper's day email or push may go out in (start, end), or None: any time."""
    stored = section(shop, SEND_WINDOWS).get(channel)
    if not isinstance(stored, dict):
        return DEFAULT_SEND_WINDOWS.get(channel)
    try:
        return time.fromisoformat(stored["start"]), time.fromisoformat(stored["end"])
    except (KeyError, TypeError, ValueError):
        return DEFAULT_SEND_WINDOWS.get(channel)


def quiet_hours_for(shop: Shop, channel: str) -> tuple[time, time] | None:
    """Return when a channel must not reach the shopper (start, end; may span midnight), or None."""
    if channel == "sms":
        return quiet_hours(shop)
    window = send_window(shop, channel)
    return (window[1], window[0]) if window is not None else None


def contact_budget(shop: Shop) -> Budget:
    """Return the shop's contact budget (a zero window turns it off)."""
    stored = section(shop, SMART_SENDING)
    hours = stored.get("hours", DEFAULT_SMART_SENDING_HOURS)
    messages = stored.get("messages", DEFAULT_BUDGET_MESSAGES)
    window = timedelta(hours=hours) if isinstance(hours, int | float) and hours >= 0 else timedelta(0)
    if not isinstance(messages, int) or messages < 1:
        messages = DEFAULT_BUDGET_MESSAGES
    return Budget(messages=messages, window=window)


def flow_priority_order(shop: Shop) -> tuple[str, ...]:
    """Return the shop's order of flow groups, first to last (app/shops/flow_priority.py)."""
    stored = section(shop, FLOW_PRIORITY).get("order")
    try:
        return checked_order(list(stored)) if isinstance(stored, list) else DEFAULT_ORDER
    except PriorityOrderError:
        return DEFAULT_ORDER


def when_store_unreachable(shop: Shop) -> str:
    """Return whether a message goes when the store's API cannot confirm it (send, the default)."""
    choice = section(shop, STORE_CHECK).get("unreachable")
    return SKIP_MESSAGE if choice == SKIP_MESSAGE else SEND_ANYWAY


def frequency_cap(shop: Shop) -> tuple[int, int] | None:
    """Return (messages, days): at most that many marketing messages per that many days, if capped."""
    cap = section(shop, FREQUENCY_CAP)
    messages, days = cap.get("messages"), cap.get("days")
    if isinstance(messages, int) and isinstance(days, int) and messages > 0 and days > 0:
        return messages, days
    return None


def sender_identity(shop: Shop, config: Config) -> SenderIdentity:
    """Return who the shop's email comes from: its own sender, else the deployment's."""
    own = section(shop, SENDER)
    name = str(own.get("name") or config.mail_from_name or shop.display_name)
    return SenderIdentity(name=name, address=str(own.get("address") or config.mail_from))


def sendgrid_key(shop: Shop, cipher: TokenCipher) -> str | None:
    """Return the shop's own SendGrid API key, if it saved one."""
    encrypted = provider(shop, SENDGRID).get("api_key")
    return cipher.decrypt(encrypted) if isinstance(encrypted, str) else None


def twilio_account(shop: Shop, cipher: TokenCipher) -> TwilioAccount | None:
    """Return the shop's own Twilio account, if it saved one."""
    record = provider(shop, TWILIO)
    if not isinstance(record.get("auth_token"), str) or not record.get("account_sid"):
        return None
    return TwilioAccount(
        account_sid=str(record["account_sid"]),
        auth_token=cipher.decrypt(record["auth_token"]),
        from_number=str(record.get("from_number") or ""),
        messaging_service_sid=str(record.get("messaging_service_sid") or ""),
    )
