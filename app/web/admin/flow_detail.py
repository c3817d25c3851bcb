"""Flow detail: the steps as a timeline (delays, switches, conditions, A/B tests), the flow's own
settings, the rules that end it, and per-variant results of its A/B tests (``ab_tests``).

The template editor on the same page is served by ``flow_templates``; the form is read by
``flow_form`` and worded by ``flow_phrases``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import abort, request
from werkzeug.wrappers import Response as WerkzeugResponse

from app.db import db
from app.db.models import Shop
from app.jobs.services import current_services
from app.reports.ab_tests import ABReport
from app.reports.attribution import Windows
from app.reports.incrementality import Incrementality, shop_incrementality
from app.reports.queries import Report, Totals
from app.simulation.scenarios import SCENARIOS
from app.web.admin.ab_tests import step_report
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.confirmation import ask, confirmed
from app.web.admin.figures import period_report
from app.web.admin.flow_form import (
    field_errors,
    submitted_conditions,
    submitted_delays,
    submitted_holdout,
    submitted_params,
    submitted_steps,
)
from app.web.admin.flow_phrases import exit_phrases, guard_phrase, trigger_phrases
from app.web.admin.flow_status import FlowCard, flow_cards
from app.web.admin.flows import flow_or_404, flow_setting, switch_on_question
from app.web.admin.journey_view import journey_view
from app.web.admin.page import admin_url, finish, render_page
from app.web.admin.period import PRESETS, Period, deltas, requested_period
from app.web.admin.step_languages import editing_language
from app.web.admin.template_editor import Editor, editor_for, find_send, shop_sends
from flows.catalogue import CATALOGUE
from flows.definitions import Act, Flow, Param, Purpose, Send, Wait
from flows.params import display
from flows.settings import FlowSettingsError, ResolvedSettings, settings_for_shop, validate_overrides
from flows.splits import PROPERTIES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimelineStep:
    """One step as the timeline shows it: a wait with its hours, or a message or action with its
    switch, its condition, and (for an A/B test) each variant's results and the test's status."""

    step: Wait | Send | Act
    hours: str = ""
    on: bool = False
    customized: bool = False
    condition: str = ""
    ab: ABReport | None = None


@dataclass(frozen=True)
class ParamField:
    """One of the flow's own settings as its form field shows it."""

    param: Param
    value: str


def hours(delta: timedelta) -> str:
    """Show a delay in hours without trailing zeros (1, 0.25, 168)."""
    return f"{round(delta.total_seconds() / 3600, 2):g}"


@bp.get("/flows/<flow_key>")
@bp.get("/flows/<flow_key>/steps/<step>")
def flow_detail(flow_key: str, step: str | None = None, lang: str | None = None) -> tuple[str, int]:
    """Show one flow's steps, settings, rules, and the template editor of one of its messages (in the
    language ``?lang=`` names, when it names one; ``lang`` is given when a save renders the page)."""
    flow = flow_or_404(flow_key)
    if step is not None and find_send(flow, step, shop_sends(current_shop(), flow)) is None:
        abort(404)
    return render_detail(flow, step=step, language=editing_language(lang or request.args.get("lang")))


@bp.post("/flows/<flow_key>")
def update_flow(flow_key: str) -> WerkzeugResponse | tuple[str, int]:
    """Save the switch, delays and message switches of one flow."""
    shop = current_shop()
    flow = flow_or_404(flow_key)
    problems: dict[str, str] = {}
    delays = submitted_delays(flow, problems)
    try:
        tuned = validate_overrides(
            flow,
            delays,
            submitted_steps(flow),
            submitted_params(flow) if request.form.get("params_shown") else {},
            submitted_conditions(flow),
            holdout=submitted_holdout(),
        )
    except FlowSettingsError as exc:
        problems.update(exc.problems or {"form": str(exc)})
    if problems:
        log.info("shop %s: flow settings refused: %s", shop.id, problems)
        return render_detail(flow, errors=field_errors(problems), status=400)
    setting = flow_setting(shop, flow)
    switching_on = request.form.get("enabled") == "on"
    if switching_on and not setting.enabled and not confirmed():
        db.session.rollback()
        return ask(switch_on_question(shop, flow), admin_url("admin.flow_detail", flow_key=flow.key))
    setting.enabled = switching_on
    setting.overrides = _merged(setting.overrides or {}, tuned)
    db.session.commit()
    log.info("shop %s saved %s (%s)", shop.id, flow.key, "on" if setting.enabled else "off")
    return finish("admin.flow_detail", f"{flow.name} saved.", flow_key=flow.key)


def render_detail(
    flow: Flow,
    step: str | None = None,
    error: str | None = None,
    editor: Editor | None = None,
    status: int = 200,
    errors: dict[str, str] | None = None,
    language: str | None = None,
) -> tuple[str, int]:
    """Render the flow detail page, optionally with an error or an editor holding unsaved input."""
    shop = current_shop()
    settings = settings_for_shop(db.session(), shop.id)
    period = requested_period(shop)
    report = period_report(shop, period.start, period.end)
    card = _card(flow, settings, shop, report)
    previous = period.previous()
    before = next(
        (
            row.totals
            for row in period_report(shop, previous.start, previous.end).per_flow
            if row.flow_key == flow.key
        ),
        Totals(),
    )
    editor = editor or editor_for(shop, flow, step, language=language)
    names = {key: other.name for key, other in CATALOGUE.items()}
    return render_page(
        "admin/flow_detail.html",
        status=status,
        card=card,
        flow=flow,
        timeline=_timeline(card, editor.customized_templates),
        params=[
            ParamField(param, display(param, card.settings.param(param.setting))) for param in flow.params
        ],
        properties=PROPERTIES,
        triggers=trigger_phrases(flow, card.settings),
        exits=exit_phrases(flow, names),
        guard=guard_phrase(flow),
        marketing=flow.purpose == Purpose.MARKETING,
        requested=flow.purpose == Purpose.REQUESTED,
        editor=editor,
        error=error,
        errors=errors or {},
        incremental=_incremental(shop, flow, period),
        period=period,
        previous=previous,
        presets=PRESETS,
        deltas=deltas(card.totals, before),
        scenarios=SCENARIOS,
        journey=journey_view(shop, flow, card.settings, period, report.per_step),
    )


def _incremental(shop: Shop, flow: Flow, period: Period) -> Incrementality | None:
    """Return the flow's treated-against-held-out figures for the period, if it has a holdout."""
    window = Windows.from_config(current_services().config).click
    rows = shop_incrementality(db.session(), shop.id, period.start, period.end, window, flow.key)
    return rows[0] if rows else None


def _merged(stored: dict[str, Any], tuned: dict[str, Any]) -> dict[str, Any]:
    """Apply what was submitted onto what is stored, keeping template overrides and unsent sections."""
    merged = dict(stored)
    for section, values in tuned.items():
        merged[section] = {**(stored.get(section) or {}), **values} if section == "params" else values
    return merged


def _card(flow: Flow, settings: dict[str, ResolvedSettings], shop: Shop, report: Report) -> FlowCard:
    cards = flow_cards(db.session(), shop, settings, report, current_services().config)
    return next(card for card in cards if card.flow.key == flow.key)


def _timeline(card: FlowCard, customized: frozenset[str]) -> list[TimelineStep]:
    steps = []
    tuning = card.settings
    for step in card.flow.steps:
        if isinstance(step, Wait):
            steps.append(TimelineStep(step, hours=hours(tuning.delay(step))))
            continue
        steps.append(
            TimelineStep(
                step,
                on=tuning.step_enabled(step),
                customized=isinstance(step, Send) and step.template in customized,
                condition=tuning.conditions[step.setting],
                ab=step_report(card.flow, step) if isinstance(step, Send) else None,
            )
        )
    return steps
