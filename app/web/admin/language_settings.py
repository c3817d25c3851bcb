"""Settings: the language the shop's admin speaks when the host admin names none.

Shopify and Saleor name their staff member's language in the query (``app/web/i18n.py``), and that
choice, per person, wins; this setting is the shop's default below it, for a login link, a direct
visit, or a host admin whose language we do not ship. Choosing here forgets the language the session
remembered, so the person choosing sees their choice at once.
"""

from __future__ import annotations

from flask import abort, request, session
from flask_babel import gettext, refresh
from werkzeug.wrappers import Response as WerkzeugResponse

from app.db import db
from app.shops.settings import section, store_section
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.page import finish
from app.web.i18n import LANGUAGE_NAMES, SESSION_KEY, SHOP_SETTING

FOLLOW_THE_HOST = ""  # no setting: the host admin's language, else the browser's


def admin_language_setting() -> str:
    """Return the shop's chosen admin language, or ``FOLLOW_THE_HOST``."""
    chosen = section(current_shop(), SHOP_SETTING).get("language")
    return chosen if chosen in LANGUAGE_NAMES else FOLLOW_THE_HOST


@bp.post("/settings/language")
def save_admin_language() -> WerkzeugResponse | tuple[str, int]:
    """Store the shop's admin language (empty follows the host admin and the browser)."""
    chosen = request.form.get("language", FOLLOW_THE_HOST)
    if chosen != FOLLOW_THE_HOST and chosen not in LANGUAGE_NAMES:
        abort(400)
    store_section(current_shop(), SHOP_SETTING, {"language": chosen} if chosen else None)
    db.session.commit()
    session.pop(SESSION_KEY, None)
    refresh()  # the notice below is written in the language just chosen
    return finish("admin.settings", gettext("Admin language saved."))
