"""The email designer's page and actions: design a step's email from blocks, preview it at desktop
and phone widths, save or remove it, and keep the shop's brand kit.

The block editor (``static/admin/designer.js``) posts the design as JSON; every refusal is a 400
listing each problem with its block and field, never a 500, whatever the body holds. Every page and
action takes the language being designed from ``lang`` (the query string, or the form's field), as
the template editor does; none is the step's own design.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, abort, jsonify, request
from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from app.db import db
from app.design.brand import parse_brand, shop_brand
from app.design.document import Design, parse_design
from app.design.errors import DesignError, Problem
from app.messaging.render import Rendered
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.design_editor import (
    designer_for,
    find_email_send,
    preview_design,
    save_brand,
    save_design,
)
from app.web.admin.flows import flow_or_404, flow_setting
from app.web.admin.page import finish, render_page
from app.web.admin.step_languages import editing_language
from app.web.admin.test_send import TestSendError, send_test
from app.web.i18n import language_name
from flows.definitions import Flow, Send

log = logging.getLogger(__name__)
# A JSON design is a few kilobytes; anything near this is not one.
MAX_DESIGN_BYTES = 256 * 1024
BRAND_FIELDS = ("logo_url", "logo_width", "background", "text", "accent", "link", "font", "address", "footer")


@bp.get("/flows/<flow_key>/design/<step>")
def email_designer(flow_key: str, step: str, lang: str | None = None) -> tuple[str, int]:
    """Show the designer of one email step (in the language ``?lang=`` names, when it names one;
    ``lang`` is given when a save renders the page), with its previews and the brand kit."""
    flow, send = _email_step_or_404(flow_key, step)
    return _page(flow, send, language=editing_language(lang) or _language())


@bp.post("/flows/<flow_key>/design/<step>/preview")
def preview_email_design(flow_key: str, step: str) -> tuple[Response, int]:
    """Render an unsaved design with the store's sample data."""
    flow, send = _email_step_or_404(flow_key, step)
    shop = current_shop()
    try:
        design = _submitted_design()
        rendered = preview_design(shop, flow, send, design, shop_brand(shop.settings), _language())
    except DesignError as exc:
        return _refusal(exc)
    return jsonify(subject=rendered.subject, html=rendered.html, text=rendered.text, errors=[]), 200


@bp.post("/flows/<flow_key>/design/<step>")
def save_email_design(flow_key: str, step: str) -> tuple[Response, int]:
    """Save the step's design once it reads and renders with the sample data."""
    flow, send = _email_step_or_404(flow_key, step)
    shop = current_shop()
    language = _language()
    try:
        design = _submitted_design()
        preview_design(shop, flow, send, design, shop_brand(shop.settings), language)
    except DesignError as exc:
        log.info("shop %s: design of %s refused: %s", shop.id, send.template, exc)
        return _refusal(exc)
    save_design(flow_setting(shop, flow), send, design, language)
    db.session.commit()
    log.info("shop %s saved the design of %s (%s)", shop.id, send.template, language or "the step's own")
    return jsonify(saved=True, errors=[]), 200


@bp.post("/flows/<flow_key>/design/<step>/test")
def send_design_test(flow_key: str, step: str) -> tuple[Response, int]:
    """Send the unsaved design, with the sample data, to the address the merchant typed."""
    flow, send = _email_step_or_404(flow_key, step)
    shop = current_shop()
    try:
        body = _json_body()
        fields = body if isinstance(body, dict) else {}
        to = str(fields.get("to") or "").strip()
        design = parse_design(fields.get("design"))
        email = preview_design(shop, flow, send, design, shop_brand(shop.settings), _language())
        provider = send_test(shop, send, Rendered(email.text, email.subject, email.html), to)
    except DesignError as exc:
        return _refusal(exc)
    except TestSendError as exc:
        return _refusal(DesignError([Problem("to", str(exc))]))
    where = (
        gettext("the development outbox (the worker's log)")
        if provider == "outbox"
        else provider.capitalize()
    )
    return jsonify(
        sent=True, notice=gettext("Test sent to %(to)s through %(where)s.", to=to, where=where), errors=[]
    ), 200


@bp.post("/flows/<flow_key>/design/<step>/remove")
def remove_email_design(flow_key: str, step: str) -> WerkzeugResponse | tuple[str, int]:
    """Remove the design: the step sends its Jinja template again. With a language, remove the
    design in it: that language's shoppers get its Jinja translation, or the next of the chain."""
    flow, send = _email_step_or_404(flow_key, step)
    language = _language()
    save_design(flow_setting(current_shop(), flow), send, None, language)
    db.session.commit()
    notice = (
        gettext("%(step)s: %(language)s design removed.", step=send.label, language=language_name(language))
        if language
        else f"{send.label}: design removed."
    )
    return finish("admin.email_designer", notice, flow_key=flow.key, step=send.setting, lang=language)


@bp.post("/flows/<flow_key>/design/<step>/brand")
def save_brand_kit(flow_key: str, step: str) -> WerkzeugResponse | tuple[str, int]:
    """Save the shop's brand kit (every designed email uses it), then show the designer again."""
    flow, send = _email_step_or_404(flow_key, step)
    shop = current_shop()
    submitted = {name: request.form.get(name, "") for name in BRAND_FIELDS}
    try:
        brand = parse_brand(submitted)
    except DesignError as exc:
        return _page(
            flow, send, brand_problems=exc.problems, brand_values=submitted, status=400, language=_language()
        )
    save_brand(shop, brand)
    db.session.commit()
    return finish(
        "admin.email_designer",
        gettext("Brand kit saved."),
        flow_key=flow.key,
        step=send.setting,
        lang=_language(),
    )


def _page(
    flow: Flow,
    send: Send,
    brand_problems: list[Problem] | None = None,
    brand_values: dict[str, Any] | None = None,
    status: int = 200,
    language: str | None = None,
) -> tuple[str, int]:
    designer = designer_for(current_shop(), flow, send, language)
    return render_page(
        "admin/designer.html",
        status=status,
        flow=flow,
        designer=designer,
        brand_values=brand_values or designer.brand.as_settings(),
        brand_errors={problem.field: problem.message for problem in brand_problems or []},
    )


def _language() -> str | None:
    """The language being designed (``lang`` in the query string or the form), or None for the step."""
    return editing_language(request.values.get("lang"))


def _submitted_design() -> Design:
    """Read the posted JSON design; a body that is not one is refused like any invalid design."""
    return parse_design(_json_body())


def _json_body() -> Any:
    if (request.content_length or 0) > MAX_DESIGN_BYTES:
        raise DesignError(
            [Problem("design", gettext("is larger than %(size)s KB", size=MAX_DESIGN_BYTES // 1024))]
        )
    body = request.get_json(silent=True)
    if body is None:
        raise DesignError([Problem("design", gettext("must be sent as JSON"))])
    return body


def _refusal(error: DesignError) -> tuple[Response, int]:
    problems = [
        {"block": problem.block, "field": problem.field, "message": problem.message, "text": str(problem)}
        for problem in error.problems
    ]
    return jsonify(errors=problems), 400


def _email_step_or_404(flow_key: str, step: str) -> tuple[Flow, Send]:
    flow = flow_or_404(flow_key)
    send = find_email_send(current_shop(), flow, step)
    if send is None:
        abort(404)
    return flow, send
