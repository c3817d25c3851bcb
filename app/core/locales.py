"""One spelling for a language tag, whichever platform sent it: ``de``, ``pt-BR``, ``zh-Hans-CN``.

Shopify sends a shopper's ``customer_locale`` as a BCP 47 tag ("de", "pt-BR"); Saleor sends a
``LanguageCodeEnum`` ("DE", "PT_BR", "EN_US"). Both become a BCP 47-style tag: a language of 2-3
letters in lower case, then an optional script of 4 letters in title case, then an optional region of
2 letters (upper case) or 3 digits. Anything else ("", "example string", 300 characters, a number) is
no locale at all: a shopper is never held back by what their platform wrote here, they just get the
shop's language. A well-formed tag nobody translates ("xx") is kept; the fallback chain passes it by.

Money and days inside messages are written with Babel in the shopper's locale (the currency stays
the order's). Nothing here imports the app, so the inbound adapters (``webhooks/``) can use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from babel.numbers import format_currency, format_decimal

# What messages are formatted in when nothing says otherwise (the catalogue is written in English).
DEFAULT_FORMAT = "en_US"
# The longest tag kept ("zh-Hant-TW" is 10): a longer one is not a locale but someone's text.
MAX_TAG_LENGTH = 35
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}")
_SCRIPT = re.compile(r"[A-Za-z]{4}")
_REGION = re.compile(r"[A-Za-z]{2}|[0-9]{3}")


def normal_locale(value: object) -> str | None:
    """Return the tag in one spelling (``pt_br`` → ``pt-BR``), or None when it is not a language tag."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TAG_LENGTH:
        return None
    language, *rest = value.strip().replace("_", "-").split("-")
    if not _LANGUAGE.fullmatch(language):
        return None
    tag = [language.lower()]
    if rest and _SCRIPT.fullmatch(rest[0]):
        tag.append(rest.pop(0).title())
    if rest and _REGION.fullmatch(rest[0]):
        tag.append(rest.pop(0).upper())
    # Variants and extensions ("de-DE-1996", "en-US-u-ca-buddhist") change no message: left off.
    return "-".join(tag)


def language_of(tag: str) -> str:
    """The language a tag names, without script or region (``pt-BR`` → ``pt``)."""
    return tag.split("-", 1)[0]


def formatting_locale(tags: Iterable[str], default: str = DEFAULT_FORMAT) -> str:
    """The first tag Babel can format in, as Babel names it (``de-AT`` → ``de_AT``), else the default."""
    for tag in tags:
        try:
            return str(Locale.parse(tag, sep="-"))
        except (ValueError, TypeError, UnknownLocaleError):
            continue
    return default


def format_money(amount: Any, currency: str | None, locale: str | None) -> str:
    """Write an amount as the shopper's locale writes money in the order's currency ("24,00 €").

    Without a currency the number alone, with two decimals; a value that is no number, as it came.
    """
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(amount)
    where = locale or DEFAULT_FORMAT
    if currency:
        try:
            return format_currency(value, currency, locale=where)
        except (ValueError, UnknownLocaleError):
            return f"{value:,} {currency}"
    return format_decimal(value, format="#,##0.00", locale=where)


def format_day(value: date, locale: str | None) -> str:
    """Write a calendar day in the shopper's words ("4. Dezember", "December 4")."""
    return format_skeleton("MMMMd", value, locale=locale or DEFAULT_FORMAT)
