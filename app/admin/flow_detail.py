"""Flow detail: the steps as a timeline, their delays and switches, the rules that end the flow.

The template editor on the same page is served by ``flow_templates``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import abort, request
from werkzeug.wrappers import Response as WerkzeugResponse

from app.admin.blueprint import bp, current_shop
from app.admin.figures import recent_report
from app.admin.flow_status import FlowCard, flow_cards
from app.admin.flows import flow_or_404, flow_setting
from app.admin.page import finish, render_page
from app.admin.template_editor import Editor, editor_for, find_send
from app.extensions import db
from app.models import Shop
from app.services import current_services
from flows.definitions import ExitRule, ExitScope, Flow, Purpose, Send, Wait
from flows.events import EventKind
from flows.settings import FlowSettingsError, ResolvedSettings, settings_for_shop, validate_overrides

log = logging.getLogger(__name__)

TRIGGERS = {
    EventKind.CHECKOUT_STARTED: "a shopper starts a checkout with an email address",
    EventKind.CHECKOUT_UPDATED: "a shopper updates a checkout (this restarts the current wait)",
    EventKind.ORDER_PAID: "an order is paid",
    EventKind.ORDER_FULFILLED: "an order is fulfilled",
}
EXITS = {
    (EventKind.CHECKOUT_COMPLETED, ExitScope.SUBJECT): "the checkout is completed",
    (EventKind.ORDER_PLACED, ExitScope.SUBJECT): "an order is placed from this checkout",
    (EventKind.ORDER_PLACED, ExitScope.CONTACT): "the shopper places any order since the checkout",
    (EventKind.ORDER_CANCELLED, ExitScope.SUBJECT): "the order is cancelled",
}


@dataclass(frozen=True)
class TimelineStep:
    """One step as the timeline shows it: a wait with its hours, or a message with its switch."""

    step: Wait | Send
    hours: str = ""
    on: bool = False
    customized: bool = False


def hours(delta: timedelta) -> str:
    """Show a delay in hours without trailing zeros (1, 0.25, 168)."""
    return f"{round(delta.total_seconds() / 3600, 2):g}"


def exit_phrase(rule: ExitRule) -> str:
    """Say in words what ends the flow early."""
    return EXITS.get((rule.kind, rule.scope), str(rule.kind))


@bp.get("/flows/<flow_key>")
@bp.get("/flows/<flow_key>/steps/<step>")
def flow_detail(flow_key: str, step: str | None = None) -> tuple[str, int]:
    """Show one flow's steps, settings, rules, and the template editor of one of its messages."""
    flow = flow_or_404(flow_key)
    if step is not None and find_send(flow, step) is None:
        abort(404)
    return render_detail(flow, step=step)


@bp.post("/flows/<flow_key>")
def update_flow(flow_key: str) -> WerkzeugResponse | tuple[str, int]:
    """Save the switch, delays and message switches of one flow."""
    shop = current_shop()
    flow = flow_or_404(flow_key)
    try:
        tuned = validate_overrides(flow, _submitted_delays(flow), _submitted_steps(flow))
    except FlowSettingsError as exc:
        log.info("shop %s: flow settings refused: %s", shop.id, exc)
        return render_detail(flow, error=str(exc), status=400)
    setting = flow_setting(shop, flow)
    setting.enabled = request.form.get("enabled") == "on"
    setting.overrides = {**(setting.overrides or {}), **tuned}  # keeps the template overrides
    db.session.commit()
    log.info("shop %s saved %s (%s)", shop.id, flow.key, "on" if setting.enabled else "off")
    return finish("admin.flow_detail", f"{flow.name} saved.", flow_key=flow.key)


def render_detail(
    flow: Flow,
    step: str | None = None,
    error: str | None = None,
    editor: Editor | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """Render the flow detail page, optionally with an error or an editor holding unsaved input."""
    shop = current_shop()
    settings = settings_for_shop(db.session(), shop.id)
    card = _card(flow, settings, shop)
    editor = editor or editor_for(shop, flow, step)
    return render_page(
        "admin/flow_detail.html",
        status=status,
        card=card,
        flow=flow,
        timeline=_timeline(card, editor.customized_templates),
        triggers=[TRIGGERS.get(kind, str(kind)) for kind in flow.triggers],
        exits=[exit_phrase(rule) for rule in flow.exit_on],
        marketing=flow.purpose == Purpose.MARKETING,
        editor=editor,
        error=error,
    )


def _card(flow: Flow, settings: dict[str, ResolvedSettings], shop: Shop) -> FlowCard:
    cards = flow_cards(db.session(), shop, settings, recent_report(shop), current_services().config)
    return next(card for card in cards if card.flow.key == flow.key)


def _timeline(card: FlowCard, customized: frozenset[str]) -> list[TimelineStep]:
    steps = []
    for step in card.flow.steps:
        if isinstance(step, Wait):
            steps.append(TimelineStep(step, hours=hours(card.settings.delay(step))))
        else:
            steps.append(
                TimelineStep(
                    step, on=card.settings.step_enabled(step), customized=step.template in customized
                )
            )
    return steps


def _submitted_delays(flow: Flow) -> dict[str, Any]:
    delays: dict[str, Any] = {}
    for wait in flow.waits():
        raw = request.form.get(f"delay_{wait.setting}", "").strip()
        if raw:
            try:
                delays[wait.setting] = round(float(raw) * 3600)
            except (ValueError, OverflowError):  # not a number, or nan / inf
                raise FlowSettingsError(f"{wait.label}: {raw!r} is not a number of hours") from None
    return delays


def _submitted_steps(flow: Flow) -> dict[str, Any]:
    return {send.setting: request.form.get(f"step_{send.setting}") == "on" for send in flow.sends()}
