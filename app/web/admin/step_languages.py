"""The languages of one step in the template editor: which it has, which is being edited, and which
one a shopper whose own language is not among them gets (app/messaging/languages.py decides).

Translations are stored in ``FlowSetting.overrides["translations"][language][template]``, beside the
step's own overrides. A translation of a language the catalogue ships keeps only the parts that
differ from the catalogue's (later catalogue fixes still arrive); one the catalogue lacks keeps
every part, so no part falls back to English mid-message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError
from flask_babel import gettext

from app.core.i18n import N_
from app.core.locales import normal_locale
from app.db.models import Shop
from app.messaging.languages import (
    DEFAULT_LANGUAGE,
    choose_language,
    language_template,
    shop_language,
    step_languages,
    translated_source,
)
from app.web.i18n import language_name

SOURCE_LABELS = {
    "default": N_("catalogue default"),
    "edited": N_("edited by you"),
    "bundled": N_("catalogue translation"),
    "translation": N_("your translation"),
    "design": N_("your design"),
}


@dataclass(frozen=True)
class StepLanguage:
    tag: str
    name: str
    source: str
    # What the editor's link carries: None for English, the step itself.
    lang: str | None


@dataclass(frozen=True)
class StepLanguages:
    """What the language strip above the editor shows."""

    languages: tuple[StepLanguage, ...]
    editing: str | None
    # The language a shopper gets when theirs is none of the above (the shop's, else English).
    fallback: str

    @property
    def editing_name(self) -> str:
        return language_name(self.editing) if self.editing else language_name(DEFAULT_LANGUAGE)


def editing_language(raw: str | None) -> str | None:
    """The translation a request asks to edit, or None for the step itself (English or unreadable)."""
    tag = normal_locale(raw)
    if tag is None or tag == DEFAULT_LANGUAGE:
        return None
    try:
        Locale.parse(tag, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    return tag


def language_strip(
    shop: Shop, template: str, overrides: Mapping[str, Any] | None, editing: str | None
) -> StepLanguages:
    languages = [
        StepLanguage(
            tag, language_name(tag), gettext(SOURCE_LABELS[source]), None if tag == DEFAULT_LANGUAGE else tag
        )
        for tag, source in step_languages(template, overrides).items()
    ]
    if editing and all(language.tag != editing for language in languages):
        languages.append(
            StepLanguage(editing, language_name(editing), gettext("new, not saved yet"), editing)
        )
    fallback = language_name(
        choose_language(template, None, shop_language(shop.settings), overrides).language
    )
    return StepLanguages(tuple(languages), editing, fallback)


def translation_parts(template: str, language: str, sources: Mapping[str, str]) -> dict[str, str] | None:
    """The parts of a translation worth storing (module docstring); None when it adds nothing."""
    if language_template(template, language) == template:  # the catalogue lacks it: keep every part
        return dict(sources) or None
    changed = {
        part: source
        for part, source in sources.items()
        if _normal(source) != _normal(translated_source(template, part, language))
    }
    return changed or None


def _normal(source: str) -> str:
    return source.replace("\r\n", "\n").strip()
