"""Flows: the catalogue as cards, each with its switch, status and figures for the period the
merchant chose (the overview's picker, app/web/admin/period.py; the last 30 days unless the URL says)."""

from __future__ import annotations

import logging

from flask import abort, request
from flask_babel import gettext, ngettext
from werkzeug.wrappers import Response as WerkzeugResponse

from app.db import db
from app.db.models import FlowSetting, Shop
from app.db.models.rows import get_or_create
from app.jobs.services import current_services
from app.reports.reach import estimated_reach
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.confirmation import Question, ask, confirmed
from app.web.admin.figures import period_report
from app.web.admin.flow_status import FlowCard, flow_cards
from app.web.admin.formatting import number
from app.web.admin.page import admin_url, finish, render_page
from app.web.admin.period import PRESETS, requested_period
from flows.catalogue import UnknownFlowError, get_flow
from flows.definitions import GOAL_LABELS, Flow, Goal
from flows.settings import settings_for_shop

log = logging.getLogger(__name__)


@bp.get("/flows")
def flows() -> tuple[str, int]:
    """Show every flow with its switch, status and figures for the chosen period."""
    return render_flows()


def render_flows(error: str | None = None, status: int = 200) -> tuple[str, int]:
    """Render the flows page, optionally with an error (a refused flow file)."""
    shop = current_shop()
    period = requested_period(shop)
    settings = settings_for_shop(db.session(), shop.id)
    report = period_report(shop, period.start, period.end)
    cards = flow_cards(db.session(), shop, settings, report, current_services().config)
    return render_page(
        "admin/flows.html",
        status=status,
        groups=goal_groups(cards),
        error=error,
        period=period,
        presets=PRESETS,
        report=report,
    )


def goal_groups(cards: list[FlowCard]) -> list[tuple[Goal, str, list[FlowCard]]]:
    """Group the cards by what the flows earn (recover, convert, retain, grow), in catalogue order."""
    return [
        (goal, GOAL_LABELS[goal], [card for card in cards if card.flow.goal == goal])
        for goal in Goal
        if any(card.flow.goal == goal for card in cards)
    ]


@bp.post("/flows/<flow_key>/toggle")
def toggle_flow(flow_key: str) -> WerkzeugResponse | tuple[str, int]:
    """Switch one flow on or off, leaving its tuning as it is."""
    shop = current_shop()
    flow = flow_or_404(flow_key)
    setting = flow_setting(shop, flow)
    switching_on = request.form.get("enabled") == "on"
    if switching_on and not setting.enabled and not confirmed():
        db.session.rollback()
        return ask(switch_on_question(shop, flow), admin_url("admin.flows"))
    setting.enabled = switching_on
    db.session.commit()
    log.info("shop %s turned %s %s", shop.id, flow.key, "on" if setting.enabled else "off")
    state = "on" if setting.enabled else "off"
    return finish("admin.flows", f"{flow.name} is switched {state}.")


def switch_on_question(shop: Shop, flow: Flow) -> Question:
    """Ask before a flow goes live, saying how many shoppers it would reach from the store's state."""
    reach = estimated_reach(db.session(), shop.id, flow, current_services().clock.now())
    shoppers = ngettext(
        "%(count)s shopper", "%(count)s shoppers", reach.shoppers, count=number(reach.shoppers)
    )
    return Question(
        title=gettext("Switch on %(flow)s?", flow=gettext(flow.name)),
        consequence=gettext(
            "It starts writing to real shoppers: up to %(shoppers)s now (%(counted)s). "
            "You can switch it off again at any time; messages already sent stay sent.",
            shoppers=shoppers,
            counted=reach.counted,
        ),
        action=gettext("Switch on"),
    )


def flow_or_404(flow_key: str) -> Flow:
    """Return the catalogue flow named in the URL, or answer 404."""
    try:
        return get_flow(flow_key)
    except UnknownFlowError:
        abort(404)


def flow_setting(shop: Shop, flow: Flow) -> FlowSetting:
    """Return the shop's stored setting for a flow, creating it (switched off) if it has none."""
    setting, _ = get_or_create(db.session(), FlowSetting, shop_id=shop.id, flow_key=flow.key)
    return setting
