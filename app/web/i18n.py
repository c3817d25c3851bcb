"""The admin's language: which one a request is shown in, and the Flask-Babel that translates it.

The admin speaks the language its host admin speaks. Both hosts say it in the query of the URL they
load the embedded app with:

- Shopify: "When you use App Bridge, Shopify includes the locale as a URL parameter in the request
  to your embedded app" (shopify.dev, "Update your app to support localization"; its example request
  ends ``...&locale=en&...``). Each staff member picks their own language, so it is per person.
- Saleor: the dashboard puts ``locale`` among the search parameters of the app's iframe ``src``
  (``AppIframeParams.LOCALE = "locale"`` in ``@saleor/app-sdk``, next to ``id``, ``theme`` and
  ``saleorApiUrl``); the entry page forwards it with the first admin request it makes.

A request's language, first match wins:
1. ``locale`` in the query, when it names a language we ship ("de-DE" is German); it is remembered
   in the session, and admin links carry it too (``page.EMBEDDED_ARGS``), since an embedded frame
   may not get its cookie back;
2. the language remembered in the session;
3. the shop's admin language, chosen in Settings (``admin/language_settings.py``);
4. the browser's Accept-Language: its most wanted language that we ship;
5. English, the language the templates are written in. Nobody chose it then, so dates and numbers
   stay in the shop's own locale (``language_was_chosen``; ``formatting.display_locale``).

The catalogues (``app/translations``) are committed compiled: a clean clone runs without a build
step, and ``tests/test_admin_i18n.py`` fails when a ``.mo`` no longer matches its ``.po``.
"""

from __future__ import annotations

from pathlib import Path

from babel import Locale, UnknownLocaleError
from flask import Flask, g, has_request_context, request, session
from flask_babel import Babel, get_locale, gettext, refresh

from app.core.i18n import Phrase
from app.messaging.languages import language_name as messaging_language_name

# English first: it is the source language and the last fallback.
LANGUAGES = ("en", "de")
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}  # each in its own language, as pickers show them
DEFAULT_LANGUAGE = "en"
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
QUERY_ARG = "locale"
SESSION_KEY = "admin_language"
SHOP_SETTING = "admin_language"

babel = Babel()


def shipped_language(tag: object) -> str | None:
    """Return the shipped language a locale tag asks for ("de-DE", "de_AT", "DE" -> "de"), if any."""
    if not isinstance(tag, str) or not tag.strip():
        return None
    try:
        language = Locale.parse(tag.strip().replace("-", "_")).language
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    return language if language in LANGUAGES else None


def select_language() -> str:
    """Pick the language of this request's admin page (the order is in the module docstring)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = _chosen_language()
    g.admin_language_chosen = chosen is not None
    return chosen or DEFAULT_LANGUAGE


def language_was_chosen() -> bool:
    """Tell whether someone (host admin, session, Settings, browser) chose this request's language."""
    get_locale()  # runs the selector once per request
    return bool(g.get("admin_language_chosen"))


def _chosen_language() -> str | None:
    if QUERY_ARG in request.args:
        asked = shipped_language(request.args.get(QUERY_ARG))
        if asked:
            session[SESSION_KEY] = asked
            return asked
        session.pop(SESSION_KEY, None)  # the host admin switched to a language we do not ship
    remembered = shipped_language(session.get(SESSION_KEY))
    if remembered:
        return remembered
    identity = g.get("identity")
    if identity is not None:
        stored = (identity.shop.settings or {}).get(SHOP_SETTING)
        chosen = shipped_language(stored.get("language") if isinstance(stored, dict) else None)
        if chosen:
            return chosen
    # By quality, each tag read as its language: "de-AT;q=0.8" wins over "en;q=0.5" (Werkzeug's
    # best_match would prefer the exact "en").
    for tag, _quality in request.accept_languages:
        language = shipped_language(tag)
        if language:
            return language
    return None


def current_language() -> str:
    """Return the language this request is shown in ("en", "de")."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def translated(value: str | None) -> str:
    """Translate a string that reached the page as a value (a flow's name, a goal's label, a
    domain ``Phrase`` with its arguments)."""
    if isinstance(value, Phrase):
        return gettext(value.message, **value.args)
    return gettext(value) if value else ""


def language_name(tag: str) -> str:
    """A shopper language's name in the admin's language ("de-AT" → "German (Austria)", "Deutsch
    (Österreich)"); the tag itself when Babel has none."""
    return messaging_language_name(tag, str(get_locale() or DEFAULT_LANGUAGE))


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with the admin's language selector and the ``tr`` filter for values."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_language)
    # Flask-Babel caches the language on ``g``, which outlives a request wherever an app context was
    # already pushed (the test client, CLI commands): each request picks its own.
    app.before_request(refresh)
    app.jinja_env.filters["tr"] = translated
    app.jinja_env.globals["current_language"] = current_language
