"""Whether each flow is live, paused, or needs setup before it can send, and its key figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.config import Config
from app.core.i18n import N_
from app.db.models import Enrollment, Shop
from app.db.models.automation import ACTIVE
from app.reports.queries import Report, Totals
from app.shops.platform import Platform
from app.shops.settings import sender_identity
from app.web.platforms import platform_of
from flows.catalogue import CATALOGUE
from flows.definitions import Flow
from flows.settings import ResolvedSettings

LIVE = "live"
PAUSED = "paused"
NEEDS_SETUP = "needs_setup"
LABELS = {LIVE: N_("Live"), PAUSED: N_("Paused"), NEEDS_SETUP: N_("Needs setup")}
TONES = {LIVE: "success", PAUSED: "neutral", NEEDS_SETUP: "warning"}


@dataclass(frozen=True)
class FlowCard:
    """One flow as the admin shows it: settings, status, what blocks it, and its figures."""

    flow: Flow
    settings: ResolvedSettings
    state: str
    problems: tuple[str, ...]
    totals: Totals = field(default_factory=Totals)
    in_progress: int = 0

    @property
    def label(self) -> str:
        return gettext(LABELS[self.state])

    @property
    def tone(self) -> str:
        return TONES[self.state]

    @property
    def revenue(self) -> Decimal:
        return self.totals.revenue


def setup_problems(
    shop: Shop, platform: Platform, flow: Flow, settings: ResolvedSettings, config: Config
) -> tuple[str, ...]:
    """List what stops this flow from sending anything useful, in words a merchant acts on."""
    problems = []
    sends = [send for send in flow.sends() if settings.step_enabled(send)]
    if not sends:
        problems.append(gettext("Every message of this flow is switched off."))
    if any(send.channel == "email" for send in sends) and not sender_identity(shop, config).usable:
        problems.append(gettext("Set a sender email address in Settings."))
    offers = any(send.offers_discount for send in sends) and bool(settings.params.get("discount"))
    problems.extend(platform.flow_problems(shop, flow.subject, offers))
    return tuple(problems)


def flow_cards(
    session: Session, shop: Shop, settings: dict[str, ResolvedSettings], report: Report, config: Config
) -> list[FlowCard]:
    """Build every catalogue flow's card for this shop, in catalogue order."""
    per_flow = {row.flow_key: row.totals for row in report.per_flow}
    running: dict[str, int] = {
        key: count
        for key, count in session.execute(
            select(Enrollment.flow_key, func.count())
            .where(Enrollment.shop_id == shop.id, Enrollment.state == ACTIVE)
            .group_by(Enrollment.flow_key)
        )
    }
    platform = platform_of(shop)
    cards = []
    for key, flow in CATALOGUE.items():
        resolved = settings[key]
        problems = setup_problems(shop, platform, flow, resolved, config)
        state = NEEDS_SETUP if problems else LIVE if resolved.enabled else PAUSED
        cards.append(
            FlowCard(flow, resolved, state, problems, per_flow.get(key, Totals()), running.get(key, 0))
        )
    return cards
