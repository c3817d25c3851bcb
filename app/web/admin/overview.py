"""Overview: what the flows earned and sent over the chosen period (the last 30 days unless the URL
says otherwise), against the period before it, which flows earn most, and where the list grew from."""

from __future__ import annotations

from datetime import datetime, time

from flask_babel import gettext
from sqlalchemy import select

from app.db import db
from app.db.models import Message
from app.forms.reports import list_growth
from app.jobs.services import current_services
from app.shops.settings import sender_identity
from app.sync.state import shop_progress
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.charts import bar_chart, line_chart
from app.web.admin.figures import every_day, period_report, rate
from app.web.admin.flow_status import LIVE, flow_cards
from app.web.admin.formatting import amount, shop_currency, shop_zone
from app.web.admin.page import render_page
from app.web.admin.period import PRESETS, deltas, requested_period
from app.web.platforms import platform_of
from flows.settings import settings_for_shop

RECENT_ACTIVITY = 6


@bp.get("")
def overview() -> tuple[str, int]:
    """Show the chosen period at a glance, each figure against the period before."""
    shop = current_shop()
    services = current_services()
    platform_of(shop).admin_visited(shop)
    period = requested_period(shop)
    report = period_report(shop, period.start, period.end)
    previous = period.previous()
    days = every_day(report)
    currency = report.currency or shop_currency(shop)
    cards = flow_cards(db.session(), shop, settings_for_shop(db.session(), shop.id), report, services.config)
    totals = report.totals
    identity = sender_identity(shop, services.config)
    recent = db.session.scalars(
        select(Message)
        .where(Message.shop_id == shop.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(RECENT_ACTIVITY)
    ).all()
    return render_page(
        "admin/overview.html",
        report=report,
        period=period,
        previous=previous,
        presets=PRESETS,
        deltas=deltas(totals, period_report(shop, previous.start, previous.end).totals),
        currency=currency,
        totals=totals,
        open_rate=rate(totals.opened, totals.sent),
        click_rate=rate(totals.clicked, totals.sent),
        revenue_chart=bar_chart(
            [d.day for d in days], [d.totals.revenue for d in days], lambda value: amount(value, currency)
        ),
        message_chart=line_chart(
            [d.day for d in days],
            [
                (gettext("Sent"), "sent", [d.totals.sent for d in days]),
                (gettext("Opened"), "opened", [d.totals.opened for d in days]),
                (gettext("Clicked"), "clicked", [d.totals.clicked for d in days]),
            ],
        ),
        top_flows=sorted(cards, key=lambda c: (c.totals.revenue, c.totals.converted), reverse=True),
        # Back in stock is on from install (its shoppers asked for it), so "getting started" lasts
        # until the merchant has switched on a flow of their own.
        flows_switched_on=sum(1 for card in cards if card.state == LIVE and not card.flow.enabled_by_default),
        identity_ok=identity.usable,
        sender_line=f"{identity.name} <{identity.address}>"
        if identity.usable
        else gettext("No sender address yet."),
        recent=recent,
        growth=list_growth(db.session(), shop.id, datetime.combine(report.start, time(), shop_zone(shop))),
        history=shop_progress(db.session(), shop.id, services.clock.now()),
    )
