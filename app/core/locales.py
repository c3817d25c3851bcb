"""One spelling for a language tag, whichever platform sent it: ``de``, ``pt-BR``, ``zh-Hans-CN``.

Shopify sends a shopper's ``customer_locale`` as a BCP 47 tag ("de", "pt-BR"); Saleor sends a
``LanguageCodeEnum`` ("DE", "PT_BR", "EN_US"). Both become a BCP 47-style tag: a language of 2-3
letters in lower case, then an optional script of 4 letters in title case, then an optional region of
2 letters (upper case) or 3 digits. Anything else ("", "example string", 300 characters, a number) is
no locale at all: a shopper is never held back by what their platform wrote here, they just get the
shop's language. A well-formed tag nobody translates ("xx") is kept; the fallback chain passes it by.

Nothing here imports the app, so the inbound adapters (``webhooks/``) can use it.
"""

from __future__ import annotations

import re

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
