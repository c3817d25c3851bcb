"""Which language a shopper's message is written in, and the template that says it in that language.

The fallback chain, first found wins: the shopper's exact locale (``de-AT``), its language (``de``),
the shop's primary language (``Shop.settings["locale"]``, from the platform at install or set in
Settings), and last the catalogue's own language, English. A locale is found for a step when:

1. the merchant saved a translation of the step for it (``FlowSetting.overrides["translations"]
   [locale][template]``, every part of the message), or
2. the merchant designed the step's email in it in the designer (``FlowSetting.overrides
   ["design_translations"][locale][template]``): their own design beats the catalogue's Jinja
   translation, though a Jinja translation of the body (a developer's) still wins, as on the step, or
3. it is the shop's language and the merchant edited the step itself (a Jinja override or a design):
   what a merchant writes without naming a language is taken to be in their shop's language, or
4. the catalogue ships a translation (``flows/templates/<locale>/<template>.*``), or
5. it is English, the catalogue's default: with the merchant's edits when the shop's language is
   English too (as before translations), else the bundled English, the edits being in another tongue.

Money and days are formatted in the most exact locale of the chain that speaks the message's
language, so a shopper in Austria reads Austrian numbers in the German email, and one whose step
fell back to English reads English dates. Unknown or malformed locales never fail a message:
they are passed by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from babel import Locale, UnknownLocaleError

from app.core.locales import formatting_locale, language_of, normal_locale
from app.messaging.render import OVERRIDES_KEY, SUFFIXES, TEMPLATE_DIR

DEFAULT_LANGUAGE = "en"
SHOP_LOCALE_KEY = "locale"
# Set once the merchant picks the shop's language in Settings: the platform's then no longer overrides it.
LOCALE_CHOSEN_KEY = "locale_chosen"
TRANSLATIONS_KEY = "translations"
DESIGNS_KEY = "designs"
DESIGN_TRANSLATIONS_KEY = "design_translations"
# The Jinja parts that, once edited, make a body the developer's rather than a design's.
BODY_PARTS = ("html", "text")


@dataclass(frozen=True)
class LanguageChoice:
    """The language a step goes out in and where its words come from."""

    # The language tag the message is written in ("de"), and the locale money and days are written in.
    language: str
    format_locale: str
    # The template file to render ("de/abandoned_checkout_1"), and the merchant's parts over it.
    template: str
    parts: dict[str, str] = field(default_factory=dict)
    # True: the step's own path (the merchant's Jinja override or design, else the English bundle).
    default: bool = False
    # Where the words come from, for the admin: "translation", "design", "edited", "bundled", "default".
    source: str = "default"
    # The merchant's design of the step in this language (JSON as stored), when that is what is sent.
    design: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        """The language's own English name ("German"), as the decision log says "sent in German"."""
        return language_name(self.language)


def shop_language(settings: Mapping[str, Any] | None) -> str | None:
    """The shop's primary language as a tag, or None when it has none (or none that reads)."""
    return normal_locale((settings or {}).get(SHOP_LOCALE_KEY))


def fallback_chain(shopper: str | None, shop: str | None) -> tuple[str, ...]:
    """Shopper's locale, its language, the shop's locale and language, English: each once, in order."""
    chain: list[str] = []
    for tag in (normal_locale(shopper), normal_locale(shop)):
        if tag:
            chain += [tag, language_of(tag)]
    chain.append(DEFAULT_LANGUAGE)
    return tuple(dict.fromkeys(chain))


@cache
def bundled_languages(template: str) -> frozenset[str]:
    """The locales the catalogue ships this template in (English always)."""
    found = {
        folder.name
        for folder in TEMPLATE_DIR.iterdir()
        if folder.is_dir() and any((folder / f"{template}{suffix}").is_file() for suffix in SUFFIXES.values())
    }
    return frozenset(found | {DEFAULT_LANGUAGE})


def merchant_translations(overrides: Mapping[str, Any] | None, template: str) -> dict[str, dict[str, str]]:
    """The merchant's translations of one template, by locale, as stored."""
    stored = (overrides or {}).get(TRANSLATIONS_KEY) or {}
    found = {}
    for locale, templates in stored.items():
        parts = (templates or {}).get(template) if isinstance(templates, dict) else None
        if isinstance(parts, dict) and parts:
            found[locale] = {part: source for part, source in parts.items() if isinstance(source, str)}
    return found


def design_translations(overrides: Mapping[str, Any] | None, template: str) -> dict[str, dict[str, Any]]:
    """The merchant's designs of one template in other languages, by locale, as stored."""
    stored = (overrides or {}).get(DESIGN_TRANSLATIONS_KEY) or {}
    found = {}
    for locale, templates in stored.items():
        design = (templates or {}).get(template) if isinstance(templates, dict) else None
        if isinstance(design, dict):
            found[locale] = design
    return found


def with_design_translation(
    overrides: Mapping[str, Any] | None, template: str, language: str, design: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The overrides with one step's design in a language stored (None removes it)."""
    stored = dict(overrides or {})
    designs = {tag: dict(templates) for tag, templates in (stored.get(DESIGN_TRANSLATIONS_KEY) or {}).items()}
    step = designs.setdefault(language, {})
    if design is not None:
        step[template] = dict(design)
    else:
        step.pop(template, None)
    stored[DESIGN_TRANSLATIONS_KEY] = {tag: templates for tag, templates in designs.items() if templates}
    return stored


def step_edited(overrides: Mapping[str, Any] | None, template: str) -> bool:
    """True when the merchant changed the step itself (Jinja parts or a design), in no named language."""
    return bool(((overrides or {}).get(OVERRIDES_KEY) or {}).get(template)) or bool(
        ((overrides or {}).get(DESIGNS_KEY) or {}).get(template)
    )


def choose_language(
    template: str, shopper: str | None, shop: str | None, overrides: Mapping[str, Any] | None
) -> LanguageChoice:
    """Walk the fallback chain to the first language this step can be sent in (module docstring)."""
    chain = fallback_chain(shopper, shop)
    translations = merchant_translations(overrides, template)
    designs = design_translations(overrides, template)
    bundled = bundled_languages(template)
    home = language_of(normal_locale(shop) or DEFAULT_LANGUAGE)
    edited = step_edited(overrides, template)
    for tag in chain:
        fmt = _format_locale(chain, tag)
        body_translated = any(part in translations.get(tag, {}) for part in BODY_PARTS)
        if tag in designs and not body_translated:
            base = _bundled_template(template, tag, bundled)
            return LanguageChoice(
                tag, fmt, base, translations.get(tag, {}), source="design", design=designs[tag]
            )
        if tag in translations:
            base = _bundled_template(template, tag, bundled)
            return LanguageChoice(tag, fmt, base, translations[tag], source="translation")
        if tag == home and edited:
            return LanguageChoice(tag, fmt, template, default=True, source="edited")
        if tag == DEFAULT_LANGUAGE:
            break
        if tag in bundled:
            return LanguageChoice(tag, fmt, f"{tag}/{template}", source="bundled")
    fmt = _format_locale(chain, DEFAULT_LANGUAGE)
    if edited and home != DEFAULT_LANGUAGE:
        # The merchant's edits are in their shop's language, which this shopper does not read.
        return LanguageChoice(DEFAULT_LANGUAGE, fmt, template, source="bundled")
    return LanguageChoice(DEFAULT_LANGUAGE, fmt, template, default=True, source="default")


def _format_locale(chain: tuple[str, ...], language: str) -> str:
    """Format in the most exact locale of the chain that speaks the message's language: a shopper in
    Austria reads Austrian numbers in German, and an English fallback is not written with German dates."""
    return formatting_locale(tag for tag in chain if language_of(tag) == language_of(language))


def _bundled_template(template: str, tag: str, bundled: frozenset[str]) -> str:
    """The bundled file a merchant's translation stands on, for any part it left out."""
    for candidate in (tag, language_of(tag)):
        if candidate in bundled and candidate != DEFAULT_LANGUAGE:
            return f"{candidate}/{template}"
    return template


def language_name(tag: str, in_language: str = DEFAULT_LANGUAGE) -> str:
    """A tag's name in ``in_language`` (English by default, for logs and the decision log: "de-AT" →
    "German (Austria)"); the tag itself when Babel has none."""
    try:
        return Locale.parse(tag, sep="-").get_display_name(in_language) or tag
    except (ValueError, TypeError, UnknownLocaleError):
        return tag


def language_template(template: str, language: str) -> str:
    """The bundled file a step is written from in a language: its own, its language's, else English."""
    return _bundled_template(template, language, bundled_languages(template))


def translated_source(template: str, part: str, language: str) -> str:
    """The bundled source of one part in a language, as the editor starts a translation from."""
    path = TEMPLATE_DIR / f"{language_template(template, language)}{SUFFIXES[part]}"
    return (path if path.is_file() else TEMPLATE_DIR / f"{template}{SUFFIXES[part]}").read_text()


def step_languages(template: str, overrides: Mapping[str, Any] | None) -> dict[str, str]:
    """Every language a step can go out in, and where its words come from ("bundled", "translation")."""
    found = {tag: "bundled" for tag in sorted(bundled_languages(template))}
    found.update({tag: "translation" for tag in sorted(merchant_translations(overrides, template))})
    found.update({tag: "design" for tag in sorted(design_translations(overrides, template))})
    found[DEFAULT_LANGUAGE] = "edited" if step_edited(overrides, template) else "default"
    return dict(sorted(found.items(), key=lambda item: (item[0] != DEFAULT_LANGUAGE, item[0])))


def with_translation(
    overrides: Mapping[str, Any] | None, template: str, language: str, parts: Mapping[str, str] | None
) -> dict[str, Any]:
    """The overrides with one step's translation into a language stored (None removes it)."""
    stored = dict(overrides or {})
    translations = {tag: dict(templates) for tag, templates in (stored.get(TRANSLATIONS_KEY) or {}).items()}
    step = translations.setdefault(language, {})
    if parts:
        step[template] = dict(parts)
    else:
        step.pop(template, None)
    stored[TRANSLATIONS_KEY] = {tag: templates for tag, templates in translations.items() if templates}
    return stored
