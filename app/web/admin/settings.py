"""Settings: sender identity, provider credentials (write-only, checked on save), sending limits,
the Saleor storefront's checkout URL, and the storefront tracking snippet.

Secrets are encrypted with the token cipher and never rendered back: the page only says whether one
is saved and when it was checked. Quiet hours, the contact budget (window and size), the flow
priority, the frequency cap and what to do when the store's API cannot be asked are validated here
and enforced at send time (app/messaging/send_rules.py, app/messaging/budget.py, app/storecheck/).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import abort, request
from flask_babel import gettext, ngettext
from werkzeug.wrappers import Response as WerkzeugResponse

from app.consent.ledger import DISCLOSURE_SECTION
from app.core.errors import StoreflowError
from app.db import db
from app.db.models import Shop
from app.ingest.contacts import normalize_phone
from app.jobs.services import current_services
from app.platforms.saleor.settings import (
    EXAMPLE_TEMPLATE,
    SettingsError,
    checkout_url_template,
    consent_rule,
    save_checkout_url_template,
)
from app.platforms.shopify.web_pixel import pixel_state
from app.shops.flow_priority import GROUP_LABELS, PriorityOrderError, checked_order
from app.shops.settings import (
    FLOW_PRIORITY,
    FREQUENCY_CAP,
    QUIET_HOURS,
    SEND_ANYWAY,
    SEND_WINDOWS,
    SENDER,
    SENDGRID,
    SKIP_MESSAGE,
    SMART_SENDING,
    STORE_CHECK,
    TWILIO,
    flow_priority_order,
    provider,
    section,
    sender_identity,
    store_provider,
    store_section,
)
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.language_settings import admin_language_setting
from app.web.admin.page import finish, render_page
from app.web.admin.provider_checks import ProviderCheckError, check_sendgrid_key, check_twilio_account
from app.web.admin.test_send import EMAIL
from app.web.i18n import LANGUAGE_NAMES
from app.web.platforms import platform_of

log = logging.getLogger(__name__)

# Where storefront events go, and the storefront script that sends them (app/storefront/).
STOREFRONT_EVENTS_PATH = "/storefront/events"
STOREFRONT_SCRIPT_PATH = "/storefront/storeflow.js"  # app/web/storefront/scripts.py
PUSH_WORKER_PATH = "/storefront/storeflow-sw.js"
TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
TWILIO_SID = re.compile(r"AC[0-9a-fA-F]{32}")
TWILIO_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
MAX_NAME_LENGTH = 100
MAX_SMART_SENDING_HOURS = 168
MAX_BUDGET_MESSAGES = 10


class SettingInputError(StoreflowError, ValueError):
    """A submitted setting was refused; the message says how to fix it, ``field`` which input it was.

    A setting of several inputs refuses them all at once (``several``): ``errors`` holds each input
    at fault with how to fix it, so the merchant corrects every field in one go.
    """

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field
        self.errors = {field: message}

    @classmethod
    def several(cls, errors: dict[str, str]) -> SettingInputError:
        field, message = next(iter(errors.items()))
        refused = cls(message, field)
        refused.errors = dict(errors)
        return refused


@bp.get("/settings")
def settings() -> tuple[str, int]:
    """Show every setting of the shop."""
    return render_settings()


@bp.post("/settings/sender")
def save_sender() -> WerkzeugResponse | tuple[str, int]:
    """Save the name and address the shop's emails come from."""
    shop = current_shop()
    name = request.form.get("sender_name", "").strip()
    address = request.form.get("sender_address", "").strip()
    errors: dict[str, str] = {}
    if len(name) > MAX_NAME_LENGTH:
        errors["sender_name"] = gettext(
            "The sender name must be at most %(max)s characters.", max=MAX_NAME_LENGTH
        )
    if address and not EMAIL.fullmatch(address):
        errors["sender_address"] = gettext("“%(address)s” is not an email address.", address=address)
    if errors:
        return render_settings(errors=with_summary("sender", errors))
    store_section(shop, SENDER, {"name": name, "address": address} if name or address else None)
    db.session.commit()
    return finish("admin.settings", gettext("Sender saved."))


@bp.post("/settings/sendgrid")
def save_sendgrid() -> WerkzeugResponse | tuple[str, int]:
    """Check a SendGrid API key with SendGrid, then store it encrypted; or remove the stored key."""
    shop = current_shop()
    services = current_services()
    if request.form.get("action") == "remove":
        store_provider(shop, SENDGRID, None)
        db.session.commit()
        return finish("admin.settings", gettext("SendGrid key removed."))
    key = request.form.get("sendgrid_api_key", "").strip()
    if not key:
        return render_settings(
            errors=with_summary(SENDGRID, {"sendgrid_api_key": gettext("Paste your SendGrid API key.")})
        )
    try:
        check_sendgrid_key(key, services.config.sendgrid_api_host)
    except ProviderCheckError as exc:
        return render_settings(
            errors=with_summary(SENDGRID, {"sendgrid_api_key": gettext("Not saved. %(reason)s", reason=exc)})
        )
    now = services.clock.now().isoformat()
    store_provider(shop, SENDGRID, {"api_key": services.cipher.encrypt(key), "checked_at": now})
    db.session.commit()
    log.info("shop %s connected its SendGrid account", shop.id)
    return finish(
        "admin.settings", gettext("SendGrid key checked and saved. Emails now go through your account.")
    )


@bp.post("/settings/twilio")
def save_twilio() -> WerkzeugResponse | tuple[str, int]:
    """Check a Twilio account with Twilio, then store it (token encrypted); or remove it."""
    shop = current_shop()
    services = current_services()
    if request.form.get("action") == "remove":
        store_provider(shop, TWILIO, None)
        db.session.commit()
        return finish("admin.settings", gettext("Twilio account removed."))
    try:
        record = _twilio_record(provider(shop, TWILIO))
    except SettingInputError as exc:
        return render_settings(errors=with_summary(TWILIO, {exc.field: str(exc)}))
    try:
        check_twilio_account(record["account_sid"], record["auth_token"])
    except ProviderCheckError as exc:
        return render_settings(errors={TWILIO: gettext("Not saved. %(reason)s", reason=exc)})
    record["auth_token"] = services.cipher.encrypt(record["auth_token"])
    record["checked_at"] = services.clock.now().isoformat()
    store_provider(shop, TWILIO, record)
    db.session.commit()
    log.info("shop %s connected its Twilio account", shop.id)
    return finish(
        "admin.settings", gettext("Twilio account checked and saved. SMS now go through your account.")
    )


@bp.post("/settings/limits")
def save_limits() -> WerkzeugResponse | tuple[str, int]:
    """Validate and store quiet hours, send windows, contact budget, flow priority, cap and store check."""
    shop = current_shop()
    readers = {
        QUIET_HOURS: _quiet_hours,
        SEND_WINDOWS: _send_windows,
        SMART_SENDING: _contact_budget,
        FLOW_PRIORITY: _flow_priority,
        FREQUENCY_CAP: _frequency_cap,
        STORE_CHECK: _store_check,
    }
    read_values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, read in readers.items():
        try:
            read_values[name] = read()
        except SettingInputError as exc:
            errors.update(exc.errors)
    if errors:
        return render_settings(errors=with_summary("limits", errors))
    for name, value in read_values.items():
        store_section(shop, name, value)
    db.session.commit()
    return finish(
        "admin.settings",
        gettext("Quiet hours, send windows, contact budget, flow priority and frequency cap saved."),
    )


@bp.post("/saleor/settings")
def update_saleor_settings() -> WerkzeugResponse | tuple[str, int]:
    """Save the Saleor storefront's checkout URL template, relinking open checkouts."""
    shop = current_shop()
    if not platform_of(shop).takes_checkout_url:
        abort(404)
    try:
        relinked = save_checkout_url_template(
            db.session(), shop, request.form.get("checkout_url_template", "")
        )
    except SettingsError as exc:
        log.info("shop %s: checkout URL template refused: %s", shop.id, exc)
        return render_settings(errors=with_summary("saleor", {"checkout_url_template": str(exc)}))
    return finish(
        "admin.settings",
        ngettext(
            "Checkout URL saved; %(num)d open checkout relinked.",
            "Checkout URL saved; %(num)d open checkouts relinked.",
            relinked,
        ),
    )


def with_summary(card: str, errors: dict[str, str]) -> dict[str, str]:
    """Add the card's banner to its fields' errors: how many need a change, each shown at its field."""
    count = len(errors)
    noun = "value needs" if count == 1 else "values need"
    return {card: f"{count} {noun} a change before this can be saved: see the fields marked below.", **errors}


def render_settings(errors: dict[str, str] | None = None, status: int | None = None) -> tuple[str, int]:
    """Render the settings page, with the error of the form that was refused."""
    shop = current_shop()
    config = current_services().config
    return render_page(
        "admin/settings.html",
        status=status or (400 if errors else 200),
        errors=errors or {},
        form=request.form if errors else {},
        sender=section(shop, SENDER),
        identity=sender_identity(shop, config),
        sendgrid=provider(shop, SENDGRID),
        twilio={k: v for k, v in provider(shop, TWILIO).items() if k != "auth_token"},
        deployment_email=bool(config.sendgrid_api_key),
        deployment_sms=bool(config.twilio_account_sid and config.twilio_auth_token),
        quiet=section(shop, QUIET_HOURS),
        windows=section(shop, SEND_WINDOWS),
        push_ready=config.push_enabled,
        worker_url=f"{config.app_url}{PUSH_WORKER_PATH}?k={shop.storefront_key}",
        pixel_connected=bool(pixel_state(shop).get("id")),
        smart=section(shop, SMART_SENDING),
        priority=flow_priority_order(shop),
        groups=GROUP_LABELS,
        store_check=section(shop, STORE_CHECK),
        cap=section(shop, FREQUENCY_CAP),
        consent=section(shop, DISCLOSURE_SECTION),
        admin_language=admin_language_setting(),
        languages=LANGUAGE_NAMES,
        saleor=_saleor_card(shop) if platform_of(shop).takes_checkout_url else None,
        events_url=f"{config.app_url}{STOREFRONT_EVENTS_PATH}",
        script_url=f"{config.app_url}{STOREFRONT_SCRIPT_PATH}",
        # Made at install by the storefront events work; absent on shops installed before it.
        storefront_key=getattr(shop, "storefront_key", None) or "STOREFRONT_KEY",
    )


def _saleor_card(shop: Shop) -> dict[str, Any]:
    return {
        "template": checkout_url_template(shop),
        "example": EXAMPLE_TEMPLATE,
        "rule": consent_rule(current_services().config),
    }


def _twilio_record(saved: dict[str, Any]) -> dict[str, Any]:
    """Read the Twilio form; a blank auth token keeps the saved one for the same account."""
    sid = request.form.get("twilio_account_sid", "").strip()
    token = request.form.get("twilio_auth_token", "").strip()
    number = request.form.get("twilio_from_number", "").strip()
    service = request.form.get("twilio_messaging_service_sid", "").strip()
    if not TWILIO_SID.fullmatch(sid):
        raise SettingInputError(
            gettext("The Account SID starts with AC followed by 32 letters and digits."), "twilio_account_sid"
        )
    if not token:
        if saved.get("account_sid") != sid or not saved.get("auth_token"):
            raise SettingInputError(gettext("Enter the auth token of this account."), "twilio_auth_token")
        token = current_services().cipher.decrypt(saved["auth_token"])
    if service and not TWILIO_SERVICE_SID.fullmatch(service):
        raise SettingInputError(
            gettext("The messaging service SID starts with MG followed by 32 letters and digits."),
            "twilio_messaging_service_sid",
        )
    phone = normalize_phone(number, None) if number else None
    if number and phone is None:
        raise SettingInputError(
            gettext(
                "“%(number)s” is not a phone number; write it with its country code, like +15005550006.",
                number=number,
            ),
            "twilio_from_number",
        )
    if not (phone or service):
        raise SettingInputError(
            gettext("Enter the number SMS come from, or a messaging service SID."), "twilio_from_number"
        )
    return {
        "account_sid": sid,
        "auth_token": token,
        "from_number": phone or "",
        "messaging_service_sid": service,
    }


def _quiet_hours() -> dict[str, str] | None:
    start = request.form.get("quiet_start", "").strip()
    end = request.form.get("quiet_end", "").strip()
    if not start and not end:
        return None
    if not (TIME_OF_DAY.fullmatch(start) and TIME_OF_DAY.fullmatch(end)):
        raise SettingInputError(
            gettext("Give quiet hours as two times of day, like 21:00 and 08:00, or leave both empty."),
            "quiet_start",
        )
    if start == end:
        raise SettingInputError(gettext("Quiet hours must start and end at different times."), "quiet_start")
    return {"start": start, "end": end}


def _send_windows() -> dict[str, dict[str, str]] | None:
    """Read the email and push windows; a channel left empty keeps its default."""
    windows = {}
    errors: dict[str, str] = {}
    for channel, label in (("email", gettext("email")), ("push", gettext("push"))):
        start = request.form.get(f"{channel}_window_start", "").strip()
        end = request.form.get(f"{channel}_window_end", "").strip()
        if not start and not end:
            continue
        if not (TIME_OF_DAY.fullmatch(start) and TIME_OF_DAY.fullmatch(end)):
            errors[f"{channel}_window_start"] = gettext(
                "Give the %(channel)s window as two times of day, like 08:00 and 21:00, or leave both empty.",
                channel=label,
            )
        elif start == end:
            errors[f"{channel}_window_start"] = gettext(
                "The %(channel)s window must start and end at different times.", channel=label
            )
        else:
            windows[channel] = {"start": start, "end": end}
    if errors:
        raise SettingInputError.several(errors)
    return windows or None


def _contact_budget() -> dict[str, int] | None:
    """Read the contact budget's size and window, refusing both at once when both are wrong."""
    hours = request.form.get("smart_hours", "").strip()
    messages = request.form.get("budget_messages", "").strip()
    errors: dict[str, str] = {}
    if hours and (not hours.isdigit() or int(hours) > MAX_SMART_SENDING_HOURS):
        errors["smart_hours"] = gettext(
            "The contact budget window is 0 to %(max)s hours (0 turns it off), or leave it empty for 16.",
            max=MAX_SMART_SENDING_HOURS,
        )
    if messages and (not messages.isdigit() or not 1 <= int(messages) <= MAX_BUDGET_MESSAGES):
        errors["budget_messages"] = gettext(
            "The contact budget is 1 to %(max)s messages per window, or leave it empty for 1.",
            max=MAX_BUDGET_MESSAGES,
        )
    if errors:
        raise SettingInputError.several(errors)
    budget: dict[str, int] = {}
    if hours:
        budget["hours"] = int(hours)
    if messages:
        budget["messages"] = int(messages)
    return budget or None


def _flow_priority() -> dict[str, list[str]] | None:
    """Read the ranked groups (``priority_1`` first); all left empty keeps the default order."""
    groups = [request.form.get(f"priority_{n}", "").strip() for n in range(1, len(GROUP_LABELS) + 1)]
    if not any(groups):
        return None
    try:
        return {"order": list(checked_order(groups))}
    except PriorityOrderError as exc:
        raise SettingInputError(str(exc), "priority_1") from None


def _store_check() -> dict[str, str] | None:
    choice = request.form.get("store_unreachable", "").strip()
    if not choice:
        return None
    if choice not in (SEND_ANYWAY, SKIP_MESSAGE):
        raise SettingInputError(
            gettext("When the store cannot be asked, choose to send the message or to skip it."),
            "store_unreachable",
        )
    return {"unreachable": choice}


def _frequency_cap() -> dict[str, int] | None:
    messages = request.form.get("cap_messages", "").strip()
    days = request.form.get("cap_days", "").strip()
    if not messages and not days:
        return None
    if not (messages.isdigit() and days.isdigit() and 1 <= int(messages) <= 20 and 1 <= int(days) <= 30):
        raise SettingInputError(
            gettext("The frequency cap is 1 to 20 messages per 1 to 30 days, or leave both empty."),
            "cap_messages",
        )
    return {"messages": int(messages), "days": int(days)}
