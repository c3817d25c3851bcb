"""How the admin writes money, instants, channels, skip reasons and the things flows are about.

One module, registered as Jinja filters, so no template hand-formats a number or a date and no
internal id ("order:5778367414999", "contact 8") reaches the merchant. Money and dates go through
Babel in the reader's locale (``display_locale``): the admin's language, with the shop's region when
Babel knows that pair, so a German admin of a US shop reads "4. Dez. 2026" and "404,95 $" (money
stays in the shop's currency); instants are shown in the shop's time zone. Labels are marked with
``N_`` and translated where they are shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from flask import g
from flask_babel import gettext
from sqlalchemy import select

from app.core.i18n import N_
from app.db import db
from app.db.models import Checkout, Contact, Message, Order, Shop
from app.web.admin.blueprint import bp, current_shop
from app.web.i18n import current_language, language_name, language_was_chosen
from flows.catalogue import CATALOGUE

DEFAULT_LOCALE = "en_US"
CHANNELS = {"email": N_("Email"), "sms": N_("SMS"), "push": N_("Web push")}
CHANNEL_WORDS = {"email": N_("email"), "sms": N_("SMS")}  # a channel inside a sentence
# Message statuses, decision outcomes and enrollment states, as a badge names them.
STATUS_WORDS = {
    "pending": N_("Pending"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "opened": N_("Opened"),
    "clicked": N_("Clicked"),
    "bounced": N_("Bounced"),
    "failed": N_("Failed"),
    "skipped": N_("Skipped"),
    "deferred": N_("Deferred"),
    "exited": N_("Exited"),
    "active": N_("Active"),
    "completed": N_("Completed"),
}
SUBJECT_KINDS = {"checkout": N_("Checkout"), "cart": N_("Cart"), "product": N_("Product")}
# A subject key as flows write it: "order:5778367414999", "checkout:<token>", "contact:8".
SUBJECT_KEY = re.compile(r"\b(order|checkout|cart|contact|product):([\w\-.@]+)")
# An exit or decision reason naming the event that caused it: "order.placed (order:5778367414999)".
EVENT_ON_SUBJECT = re.compile(r"^([a-z_]+)\.([a-z_]+) \(((?:order|checkout|cart|contact|product):[^)]+)\)$")
# A fact a decision recorded as an instant ("2026-12-04T02:14:08+00:00").
ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")
# A deferral as app/messaging writes it into a message's detail: "deferred to 2026-12-04 10:00 UTC".
UTC_MINUTE = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}) UTC")
# The send-time reasons of app/messaging, in the merchant's words (the log keeps the original).
SKIP_WORDS = (
    (re.compile(r"^no (email|sms) marketing consent \((.+)\)$"), N_("Not subscribed to {0} marketing ({1})")),
    (re.compile(r"^address suppressed \((.+)\)$"), N_("The address is suppressed ({0})")),
    (re.compile(r"^no push subscription$"), N_("The shopper has not allowed web push")),
    (re.compile(r"^no (email|sms) address$"), N_("The shopper has no {0} address")),
    (re.compile(r"^no recovery link for this checkout$"), N_("The checkout has no recovery link")),
    (re.compile(r"^contact budget: (.+)$"), N_("Held back by the contact budget: {0}")),
    (re.compile(r"^nothing to show: (.+)$"), N_("Nothing to show: {0}")),
    (re.compile(r"^sent$"), N_("Sent")),
    (re.compile(r"^sent in (.+)$"), N_("Sent in {0}")),
    (
        re.compile(r"^sent with the bundled template: the custom one failed \((.+)\)$"),
        N_("Sent with the bundled template: the custom one failed ({0})"),
    ),
)


def shop_locale(shop: Shop) -> str:
    """Return the locale the shop's admin formats in (its setting, else US English)."""
    locale = (shop.settings or {}).get("locale")
    if not isinstance(locale, str):
        return DEFAULT_LOCALE
    try:
        return str(Locale.parse(locale.replace("-", "_")))  # "de_DE" as typed, "pt-BR" from the platform
    except (ValueError, TypeError, UnknownLocaleError):  # a stored value Babel does not know
        return DEFAULT_LOCALE


def display_locale(shop: Shop) -> str:
    """Return the locale dates and numbers are written in: the admin's language in the shop's region.

    The shop's own locale when nobody chose the admin's language, or when it is in that language
    ("en_GB" stays British); else the
    admin's language with the shop's territory where Babel has that locale ("de" + "en_CH" ->
    "de_CH"), else the language alone ("de").
    """
    shop_tag = shop_locale(shop)
    language = current_language()
    written = Locale.parse(shop_tag)
    if written.language == language or not language_was_chosen():
        return shop_tag
    if not written.territory:
        return language
    regional = f"{language}_{written.territory}"
    try:
        Locale.parse(regional)
    except (ValueError, TypeError, UnknownLocaleError):
        return language
    return regional


def shop_zone(shop: Shop) -> ZoneInfo:
    """Return the shop's time zone (UTC when the platform gave none we know)."""
    try:
        return ZoneInfo(shop.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def shop_currency(shop: Shop) -> str | None:
    """Return the shop's currency: the platform's setting, else the one its latest order was paid in.

    Shopify reports a shop currency at install; Saleor has one per channel and none per shop, so a
    Saleor shop is known by the currency its orders (then checkouts) carry.
    """
    if shop.currency:
        return shop.currency
    if "shop_currency" not in g:
        found = None
        for model in (Order, Checkout):
            found = db.session.scalars(
                select(model.currency)
                .where(model.shop_id == shop.id, model.currency.is_not(None))
                .order_by(model.id.desc())
                .limit(1)
            ).first()
            if found:
                break
        g.shop_currency = found
    currency: str | None = g.shop_currency
    return currency


def money(value: Decimal | float | int | None, currency: str | None, locale: str) -> str:
    """Write an amount the way the locale writes its currency ("$404.95", "404,95 €")."""
    number = Decimal(str(value or 0))
    if currency:
        return format_currency(number, currency, locale=locale)
    return format_decimal(number, format="#,##0.00", locale=locale)


def local_time(instant: datetime, zone: ZoneInfo, locale: str) -> str:
    """Write an instant in the zone as a merchant reads it ("Dec 4, 2026 14:05")."""
    return format_datetime(instant.astimezone(zone), "MMM d, y HH:mm", locale=locale)


def channel_label(channel: str | None) -> str:
    """Name a message channel: the one label every page uses."""
    known = CHANNELS.get(channel or "")
    return gettext(known) if known else (channel or "—").capitalize()


def status_label(status: str | None) -> str:
    """Name a status on a badge or in a filter ("Sent", "Übersprungen")."""
    known = STATUS_WORDS.get(status or "")
    return gettext(known) if known else (status or "—").replace("_", " ").capitalize()


def flow_name(key: str) -> str:
    """Name a flow by its catalogue name ("Abandoned checkout recovery"), not its key."""
    flow = CATALOGUE.get(key)
    return gettext(flow.name) if flow else key.replace("_", " ").capitalize()


def merchant_reason(reason: str | None, facts: Mapping[str, Any] | None = None) -> str:
    """Say why a message was skipped, held or sent in the merchant's words, ids replaced by names;
    a message sent in a shopper's language names it in the admin's (the decision's ``language``)."""
    if not reason:
        return ""
    language = (facts or {}).get("language")
    if reason.startswith("sent in ") and isinstance(language, str):
        return gettext("Sent in %(language)s", language=language_name(language))
    for pattern, words in SKIP_WORDS:
        found = pattern.match(reason)
        if found:
            parts = (
                gettext(CHANNEL_WORDS[p]) if p in CHANNEL_WORDS else p.replace("_", " ")
                for p in found.groups()
            )
            return plain_words(gettext(words).format(*parts))
    return plain_words(reason)


def plain_words(text: str | None) -> str:
    """Replace event names and subject keys in a reason with what they stand for.

    "order.placed (order:5778367414999)" becomes "Order #1042 placed"; a lone "contact:8" becomes
    the contact's name or email.
    """
    if not text:
        return ""
    event = EVENT_ON_SUBJECT.match(text)
    if event:
        return f"{subject_label(event.group(3))} {event.group(2).replace('_', ' ')}"
    words = SUBJECT_KEY.sub(lambda m: subject_label(m.group(0)), text)
    words = UTC_MINUTE.sub(lambda m: when(f"{m.group(1)}T{m.group(2)}+00:00"), words)
    return words[:1].upper() + words[1:]


def subject_label(key: str | None) -> str:
    """Name what a flow is about for the merchant: "Order #1042", "Checkout", "Jane Doe"."""
    if not key or ":" not in key:
        return "—"
    kind, _, reference = key.partition(":")
    shop_id = current_shop().id
    if kind == "order":
        name = db.session.scalars(
            select(Order.name).where(Order.shop_id == shop_id, Order.platform_id == reference)
        ).first()
        return gettext("Order %(name)s", name=name) if name else gettext("An order")
    if kind == "contact" and reference.isdigit():
        contact = db.session.scalars(
            select(Contact).where(Contact.shop_id == shop_id, Contact.id == int(reference))
        ).first()
        return contact_name(contact) if contact else gettext("A shopper")
    known = SUBJECT_KINDS.get(kind)
    return gettext(known) if known else kind.capitalize()


def contact_name(contact: Contact) -> str:
    """Name a contact by their name, else their email or phone."""
    name = f"{contact.first_name or ''} {contact.last_name or ''}".strip()
    return name or contact.email or contact.phone or gettext("Unnamed shopper")


def recipient(message: Message) -> str:
    """Return where a message went, or would have gone: a skipped one was never addressed."""
    if message.to_address:
        return message.to_address
    contact = db.session.get(Contact, message.contact_id)
    if contact is None:
        return "—"
    address = {"email": contact.email, "sms": contact.phone}.get(message.channel)
    return address or contact_name(contact)


def fact(value: object) -> str:
    """Show one fact of a decision: instants in the shop's zone, lists and records as JSON."""
    if value is None:
        return "—"
    if isinstance(value, str) and ISO_INSTANT.match(value):
        return when(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


@bp.app_template_filter("when")
def when(value: datetime | str | None) -> str:
    """Show an instant in the shop's time zone, the way a merchant reads it."""
    if value is None:
        return "—"
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    if instant.tzinfo is None:  # the database and the decision log keep UTC
        instant = instant.replace(tzinfo=UTC)
    shop = current_shop()
    return local_time(instant, shop_zone(shop), display_locale(shop))


@bp.app_template_filter("day")
def day(value: date) -> str:
    """Show a calendar day the way the reader's locale writes it ("Dec 4, 2026", "04.12.2026")."""
    return format_date(value, "medium", locale=display_locale(current_shop()))


@bp.app_template_filter("number")
def number(value: int | None) -> str:
    """Show a count with the locale's grouping ("1,230")."""
    return format_decimal(value or 0, locale=display_locale(current_shop()))


@bp.app_template_filter("percent")
def percent(share: float | None) -> str:
    """Show a share (0.25) as a percentage with one decimal ("25.0%"), or a dash when there is none."""
    if share is None:
        return "—"
    return format_percent(share, "#,##0.0%", locale=display_locale(current_shop()))


@bp.app_template_filter("amount")
def amount(value: Decimal | float | int | None, currency: str | None = None) -> str:
    """Show money in the given currency, else the shop's, in the reader's locale."""
    shop = current_shop()
    return money(value, currency or shop_currency(shop), display_locale(shop))


bp.add_app_template_filter(channel_label, "channel")
bp.add_app_template_filter(status_label, "status")
bp.add_app_template_filter(flow_name, "flow_name")
bp.add_app_template_filter(merchant_reason, "reason")
bp.add_app_template_filter(plain_words, "plain")
bp.add_app_template_filter(subject_label, "subject")
bp.add_app_template_filter(contact_name, "contact_name")
bp.add_app_template_filter(recipient, "recipient")
bp.add_app_template_filter(fact, "fact")
