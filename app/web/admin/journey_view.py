"""What the flow page's journey draws: the flow's graph (flows/journey.py) with its words and figures.

The graph and the figures are the domain's and the reports'; this module only pairs each node
with what the merchant reads on it (what starts the flow, what ends it, in the admin's phrases)
and with its numbers for the period the page shows (app/reports/journey.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext, ngettext

from app.core.i18n import N_
from app.db import db
from app.db.models import Shop
from app.reports.journey import JourneyFigures, StepFigures, journey_figures
from app.reports.queries import StepTotals
from app.web.admin.flow_phrases import exit_phrase, guard_phrase, trigger_phrases
from app.web.admin.period import Period
from app.web.i18n import translated
from flows.catalogue import CATALOGUE
from flows.definitions import Flow
from flows.journey import Exit, Journey, WaitNode, journey
from flows.settings import ResolvedSettings

# What each entry check (flows/entry.py) lets in, said as a filter on the trigger.
ENTRY_FILTERS = {
    "vip_threshold": N_("only shoppers whose orders reach the VIP count or whose spending the VIP amount"),
    "replenishable_items": N_("only orders holding a product you listed with how long it lasts"),
    "chosen_trigger": N_("only at the moment you chose in this flow's settings"),
}


@dataclass(frozen=True)
class JourneyView:
    journey: Journey
    figures: JourneyFigures
    triggers: tuple[str, ...]
    entry_filter: str
    exits: tuple[tuple[Exit, str], ...]
    period: Period

    def step(self, index: int) -> StepFigures:
        return self.figures.step(index)

    def duration(self, wait: WaitNode) -> str:
        """Say a wait in the admin's language, in the largest unit that divides it (2 days, 90 minutes)."""
        return duration_words(wait.delay)

    def waiting_at(self, node_id: str) -> int:
        """How many shoppers are on their way to this node now (their next step is its step)."""
        return sum(
            figures.waiting
            for index, figures in self.figures.steps.items()
            if self.journey.landing(index) == node_id
        )


def journey_view(
    shop: Shop, flow: Flow, settings: ResolvedSettings, period: Period, per_step: list[StepTotals]
) -> JourneyView:
    """Build the journey of one flow for the shop, with its figures for the period."""
    figures = journey_figures(
        db.session(), shop.id, shop.timezone, flow.key, period.start, period.end, per_step
    )
    drawn = journey(flow, settings)
    return JourneyView(
        journey=drawn,
        figures=figures,
        triggers=tuple(trigger_phrases(flow, settings)),
        entry_filter=translated(ENTRY_FILTERS.get(flow.entry or "")),
        exits=tuple((node, _exit_words(node, flow)) for node in drawn.exits),
        period=period,
    )


def duration_words(delta: timedelta) -> str:
    """A duration as ``flows.settings.human`` says it, in the admin's language."""
    seconds = int(delta.total_seconds())
    if seconds and seconds % 86400 == 0:
        return ngettext("%(num)d day", "%(num)d days", seconds // 86400)
    if seconds and seconds % 3600 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", seconds // 3600)
    if seconds and seconds % 60 == 0:
        return ngettext("%(num)d minute", "%(num)d minutes", seconds // 60)
    return ngettext("%(num)d second", "%(num)d seconds", seconds)


def _exit_words(node: Exit, flow: Flow) -> str:
    if node.rule is not None:
        return exit_phrase(node.rule)
    if node.entering is not None:
        other = CATALOGUE.get(node.entering)
        return gettext("the shopper enters %(flow)s", flow=gettext(other.name) if other else node.entering)
    return guard_phrase(flow)
