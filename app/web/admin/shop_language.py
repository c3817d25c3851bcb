"""The shop's language: the one shoppers get when their own has no translation (Settings).

Shopify's primary published locale fills it in at install (app/platforms/shopify/shop_details.py);
Saleor's API has no default language, so there the merchant sets it. Once the merchant saves one,
the platform's no longer overrides it. Empty goes back to the platform's (or English).
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import request
from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from app.core.locales import normal_locale
from app.db import db
from app.messaging.languages import LOCALE_CHOSEN_KEY, SHOP_LOCALE_KEY
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.page import finish
from app.web.admin.settings import render_settings, with_summary
from app.web.i18n import language_name

FIELD = "shop_language"
CARD = "language"


@bp.post("/settings/shop-language")
def save_shop_language() -> WerkzeugResponse | tuple[str, int]:
    """Save the shop's language tag ("de", "fr-CA"), or clear it."""
    shop = current_shop()
    raw = request.form.get(FIELD, "").strip()
    settings = dict(shop.settings or {})
    if not raw:
        settings.pop(SHOP_LOCALE_KEY, None)
        settings.pop(LOCALE_CHOSEN_KEY, None)
        shop.settings = settings
        db.session.commit()
        return finish(
            "admin.settings", gettext("Shop language cleared: shoppers without a translation get English.")
        )
    tag = normal_locale(raw)
    if tag is None or not _known(tag):
        message = gettext(
            "“%(code)s” is not a language Storeflow knows. Use a code such as de, fr or pt-BR.", code=raw[:40]
        )
        return render_settings(errors=with_summary(CARD, {FIELD: message}))
    shop.settings = {**settings, SHOP_LOCALE_KEY: tag, LOCALE_CHOSEN_KEY: True}
    db.session.commit()
    return finish(
        "admin.settings", gettext("Shop language saved: %(language)s.", language=language_name(tag))
    )


def _known(tag: str) -> bool:
    try:
        Locale.parse(tag, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return False
    return True


bp.add_app_template_filter(language_name, "language_name")
