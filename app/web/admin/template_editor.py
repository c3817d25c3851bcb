"""The template editor's model: each editable part of a step's message, its source, and a preview.

A merchant's parts are stored in ``FlowSetting.overrides["templates"][template]``, only where they
differ from the bundled template, so later improvements to a bundled part still reach every shop
that did not change it. A translation of the step into another language is edited the same way and
stored beside them (``step_languages.py``). Saving renders the parts in the sandbox with sample data
first: a syntax error, an unknown variable or a forbidden attribute is refused with its part and line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask import request
from flask_babel import gettext
from sqlalchemy import select

from app.core.i18n import N_
from app.core.locales import formatting_locale
from app.db import db
from app.db.models import FlowSetting, Shop
from app.jobs.services import current_services
from app.messaging.languages import (
    fallback_chain,
    language_template,
    merchant_translations,
    translated_source,
    with_translation,
)
from app.messaging.render import (
    OVERRIDES_KEY,
    PARTS,
    Rendered,
    TemplatePartError,
    TemplateRenderError,
    render_strict,
    stored_overrides,
    template_source,
)
from app.messaging.template_errors import PlainError, explain
from app.web.admin.sample_data import sample_context
from app.web.admin.step_languages import StepLanguages, language_strip, translation_parts
from flows.ab import editable_sends
from flows.definitions import Flow, Send
from flows.settings import flow_settings

MAX_PART_LENGTH = 100_000
LABELS = {
    "subject": N_("Subject"),
    "text": N_("Plain text"),
    "html": N_("HTML"),
    "title": N_("Title"),
    "url": N_("Link opened on tap"),
}
SMS_LABEL = N_("SMS text")
PUSH_BODY_LABEL = N_("Notification text")


@dataclass(frozen=True)
class EditorPart:
    name: str
    label: str
    source: str
    customized: bool


@dataclass(frozen=True)
class Editor:
    """What the editor shows for one send step: its parts, and their preview or the error."""

    send: Send
    sends: tuple[Send, ...]
    parts: list[EditorPart]
    preview: Rendered | None
    error: TemplatePartError | None
    customized_templates: frozenset[str]
    # The error in plain words at its line (shown under the part at fault), and whether a save was refused.
    problem: PlainError | None = None
    refused: bool = False
    # The same error with its part, for the preview beside the parts ("Subject, line 1: …").
    problem_summary: str = ""
    # The translation being edited (None: the step itself) and the step's languages.
    language: str | None = None
    languages: StepLanguages | None = None
    # Whether "Reset" has anything to undo: the step's own edits, or this translation.
    resettable: bool = False

    def refusing(self) -> Editor:
        """The editor of a refused save: the part at fault takes the focus, so its error is in view."""
        return replace(self, refused=True)


def shop_sends(shop: Shop, flow: Flow) -> tuple[Send, ...]:
    """Every message of the flow this shop can edit, its A/B variants' own templates included."""
    return editable_sends(flow, flow_settings(db.session(), shop.id, flow.key).ab_tests)


def find_send(flow: Flow, step: str | None, sends: tuple[Send, ...] | None = None) -> Send | None:
    """Return the flow's send step with this setting name (among ``sends``, the flow's own when not
    given); the first one when none is named."""
    sends = sends or flow.editable_sends()
    if step is None:
        return sends[0]
    return next((send for send in sends if send.setting == step), None)


def editor_for(
    shop: Shop,
    flow: Flow,
    step: str | None,
    sources: dict[str, str] | None = None,
    language: str | None = None,
) -> Editor:
    """Build the editor for a step (an A/B variant's own template included) or its translation into
    ``language``, from what is saved, or from unsaved sources a merchant submitted."""
    sends = shop_sends(shop, flow)
    send = find_send(flow, step, sends) or sends[0]
    stored = _stored(shop, flow)
    if language is None:
        saved = stored_overrides(stored, send.template)
    else:
        saved = merchant_translations(stored, send.template).get(language, {})
    shown = sources if sources is not None else saved
    parts = []
    for part in PARTS[send.channel]:
        base = _base_source(send, part, language)
        source = shown.get(part, base)
        parts.append(EditorPart(part, _label(send.channel, part), source, _normal(source) != _normal(base)))
    preview, error = None, None
    try:
        preview = preview_parts(shop, flow, send, {p.name: p.source for p in parts}, language)
    except TemplatePartError as exc:
        error = exc
    customized = frozenset(
        template for template, parts_ in ((stored or {}).get(OVERRIDES_KEY) or {}).items() if parts_
    )
    problem = plain_error(error, {p.name: p.source for p in parts}) if error else None
    summary = problem.within(part_label(send, error.part)) if problem and error else ""
    resettable = bool(saved) if language else send.template in customized
    return Editor(
        send,
        sends,
        parts,
        preview,
        error,
        customized,
        problem,
        False,
        summary,
        language,
        language_strip(shop, send.template, stored, language),
        resettable,
    )


def _base_source(send: Send, part: str, language: str | None) -> str:
    """What a part says before the merchant changes it: the bundled step, or its translation."""
    if language is None:
        return template_source(send.template, part)
    return translated_source(send.template, part, language)


def part_label(send: Send, part: str) -> str:
    """The label the editor gives a part ("template" when a bundled part failed)."""
    return _label(send.channel, part) if part in PARTS[send.channel] else "Template"


def plain_error(error: TemplatePartError, sources: dict[str, str]) -> PlainError:
    """Say a template error in plain words, at the line of the part's source it is about."""
    return explain(error.message, error.line, sources.get(error.part))


def _label(channel: str, part: str) -> str:
    if channel == "sms":
        return gettext(SMS_LABEL)
    if channel == "push" and part == "text":
        return gettext(PUSH_BODY_LABEL)
    return gettext(LABELS[part])


def submitted_sources(send: Send) -> dict[str, str]:
    """Read the parts a merchant submitted, refusing absurd sizes before anything compiles them."""
    sources = {}
    for part in PARTS[send.channel]:
        source = request.form.get(f"part_{part}", "")
        if len(source) > MAX_PART_LENGTH:
            raise TemplatePartError(part, f"is longer than {MAX_PART_LENGTH:,} characters")
        sources[part] = source.replace("\r\n", "\n")
    return sources


def preview_parts(
    shop: Shop, flow: Flow, send: Send, sources: dict[str, str], language: str | None = None
) -> Rendered:
    """Render the parts with the store's sample data (money and days in the language's own way);
    raise TemplatePartError naming what is wrong."""
    context = sample_context(db.session(), shop, flow, current_services().config.app_url)
    template = send.template
    if language is not None:
        context.update(lang=language, locale=formatting_locale(fallback_chain(language, None)))
        template = language_template(send.template, language)
    try:
        return render_strict(template, send.channel, context, sources)
    except TemplatePartError:
        raise
    except TemplateRenderError as exc:  # a bundled part failed: not the merchant's doing
        raise TemplatePartError("template", str(exc)) from exc


def save_parts(
    setting: FlowSetting, send: Send, sources: dict[str, str] | None, language: str | None = None
) -> None:
    """Store the parts that differ from the bundled template (None resets the step to the bundled one);
    with a language, the step's translation into it instead."""
    if language is not None:
        parts = translation_parts(send.template, language, sources) if sources is not None else None
        setting.overrides = with_translation(setting.overrides, send.template, language, parts)
        return
    changed = {
        part: source
        for part, source in (sources or {}).items()
        if _normal(source) != _normal(template_source(send.template, part))
    }
    overrides = dict(setting.overrides or {})
    templates = dict(overrides.get(OVERRIDES_KEY) or {})
    if changed:
        templates[send.template] = changed
    else:
        templates.pop(send.template, None)
    overrides[OVERRIDES_KEY] = templates
    setting.overrides = overrides


def _stored(shop: Shop, flow: Flow) -> dict[str, Any]:
    setting = db.session.scalars(select(FlowSetting).filter_by(shop_id=shop.id, flow_key=flow.key)).first()
    return dict(setting.overrides or {}) if setting else {}


def _normal(source: str) -> str:
    return source.replace("\r\n", "\n").strip()
