"""The template editor's actions: live preview, save or reset a step's template, send a test.

Each takes the translation being edited from the form's ``lang`` (none: the step itself).
"""

from __future__ import annotations

import logging

from flask import Response, abort, jsonify, request
from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from app.db import db
from app.messaging.render import TemplatePartError
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.flow_detail import render_detail
from app.web.admin.flows import flow_or_404, flow_setting
from app.web.admin.page import finish
from app.web.admin.step_languages import editing_language
from app.web.admin.template_editor import (
    editor_for,
    find_send,
    part_label,
    plain_error,
    preview_parts,
    save_parts,
    shop_sends,
    submitted_sources,
)
from app.web.admin.test_send import TestSendError, send_test
from app.web.i18n import language_name
from flows.definitions import Flow, Send

log = logging.getLogger(__name__)


@bp.post("/flows/<flow_key>/templates/<step>/preview")
def preview_template(flow_key: str, step: str) -> Response:
    """Render unsaved parts with the store's sample data, for the live preview."""
    flow, send = _step_or_404(flow_key, step)
    sources = submitted_sources(send)
    try:
        rendered = preview_parts(current_shop(), flow, send, sources, _language())
    except TemplatePartError as exc:
        plain = plain_error(exc, sources)
        return jsonify(
            error={
                "part": exc.part,
                "line": plain.line,
                "message": plain.within(part_label(send, exc.part)),
                "detail": plain.detail,
            }
        )
    return jsonify(
        subject=rendered.subject, text=rendered.text, html=rendered.html, url=rendered.url, error=None
    )


@bp.post("/flows/<flow_key>/templates/<step>")
def save_template(flow_key: str, step: str) -> WerkzeugResponse | tuple[str, int]:
    """Save the step's parts after rendering them once, or reset the step to the bundled template."""
    shop = current_shop()
    flow, send = _step_or_404(flow_key, step)
    resetting = request.form.get("action") == "reset"
    language = _language()
    sources = None if resetting else submitted_sources(send)
    if sources is not None:
        try:
            preview_parts(shop, flow, send, sources, language)
        except TemplatePartError as exc:
            log.info("shop %s: template %s refused: %s", shop.id, send.template, exc)
            return _refused(
                flow, send, sources, gettext("Not saved: the template has an error, shown next to it.")
            )
    save_parts(flow_setting(shop, flow), send, sources, language)
    db.session.commit()
    step_label = gettext(send.label)
    if language:
        name = language_name(language)
        if resetting:
            notice = gettext("%(step)s: %(language)s translation removed.", step=step_label, language=name)
        else:
            notice = gettext("%(step)s: %(language)s translation saved.", step=step_label, language=name)
    elif resetting:
        notice = gettext("%(step)s: back to the default template.", step=step_label)
    else:
        notice = gettext("%(step)s: template saved.", step=step_label)
    return finish("admin.flow_detail", notice, flow_key=flow.key, step=send.setting, lang=language)


@bp.post("/flows/<flow_key>/templates/<step>/test")
def send_test_message(flow_key: str, step: str) -> WerkzeugResponse | tuple[str, int]:
    """Send the step's message, as currently edited, to the address the merchant typed."""
    shop = current_shop()
    flow, send = _step_or_404(flow_key, step)
    sources = submitted_sources(send)
    to = request.form.get("test_to", "")
    try:
        rendered = preview_parts(shop, flow, send, sources, _language())
        provider = send_test(shop, send, rendered, to)
    except TemplatePartError:
        return _refused(
            flow, send, sources, gettext("Test not sent: the template has an error, shown next to it.")
        )
    except TestSendError as exc:
        return _refused(flow, send, sources, gettext("Test not sent. %(reason)s", reason=exc))
    where = (
        gettext("the development outbox (the worker's log)")
        if provider == "outbox"
        else provider.capitalize()
    )
    notice = gettext("Test sent to %(to)s through %(where)s.", to=to.strip(), where=where)
    return finish("admin.flow_detail", notice, flow_key=flow.key, step=send.setting, lang=_language())


def _language() -> str | None:
    """The translation the form edits (``lang``), or None for the step itself."""
    return editing_language(request.form.get("lang"))


def _step_or_404(flow_key: str, step: str) -> tuple[Flow, Send]:
    flow = flow_or_404(flow_key)
    send = find_send(flow, step, shop_sends(current_shop(), flow))
    if send is None:
        abort(404)
    return flow, send


def _refused(flow: Flow, send: Send, sources: dict[str, str], error: str) -> tuple[str, int]:
    """Show the page again with the merchant's unsaved input and what was wrong with it."""
    editor = editor_for(current_shop(), flow, send.setting, sources, _language()).refusing()
    return render_detail(flow, send.setting, error=error, editor=editor, status=400)
