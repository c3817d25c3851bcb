"""Settings: the consent wording the shop shows shoppers, whose version every ledger row keeps, and
whether Storeflow's own forms ask new subscribers to confirm (``app/consent/forms.py``).

The version is derived from the wording itself (``sha256:`` and 12 hex digits of its hash, spaces
collapsed), so it changes exactly when the words do and cannot be forgotten when they are edited.
A post without the opt-in choice keeps the stored one: only an explicit choice turns confirmation off.
"""

from __future__ import annotations

import logging

from flask import request
from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from app.consent.forms import CHOICES, FORM_OPT_IN, SINGLE_OPT_IN, form_opt_in
from app.consent.ledger import DISCLOSURE_SECTION, wording_version
from app.db import db
from app.shops.settings import store_section
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.page import finish
from app.web.admin.settings import render_settings, with_summary

log = logging.getLogger(__name__)

MAX_WORDING_LENGTH = 2000


@bp.post("/settings/consent")
def save_consent_wording() -> WerkzeugResponse | tuple[str, int]:
    """Store the consent wording and its version (empty wording removes both) and the forms' opt-in."""
    shop = current_shop()
    wording = request.form.get("consent_wording", "").strip()
    opt_in = request.form.get(FORM_OPT_IN, form_opt_in(shop))
    errors = {}
    if len(wording) > MAX_WORDING_LENGTH:
        errors["consent_wording"] = gettext(
            "Keep the wording under %(max)s characters.", max=MAX_WORDING_LENGTH
        )
    if opt_in not in CHOICES:
        errors[FORM_OPT_IN] = gettext("Choose double or single opt-in for Storeflow's forms.")
    if errors:
        return render_settings(errors=with_summary("consent", errors))
    version = wording_version(wording) if wording else None
    stored = {"wording": wording, "version": version} if wording else {}
    if opt_in == SINGLE_OPT_IN:
        stored[FORM_OPT_IN] = SINGLE_OPT_IN
    store_section(shop, DISCLOSURE_SECTION, stored or None)
    db.session.commit()
    log.info("shop %s consent wording set to version %s, form opt-in %s", shop.id, version, opt_in)
    if version is None:
        return finish("admin.settings", gettext("Consent wording removed."))
    return finish("admin.settings", gettext("Consent wording saved as version %(version)s.", version=version))
