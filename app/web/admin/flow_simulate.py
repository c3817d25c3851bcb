"""The flow detail page's "Simulate" form: run the flow for a synthetic scenario or a real contact
(``app/simulation``) and show the timeline of what would be sent, deferred and skipped.

A form post (CSRF-checked) because a run does real work; it sends and keeps nothing.
"""

from __future__ import annotations

import logging

from flask import request

from app.db import db
from app.jobs.platforms import platforms_of
from app.jobs.services import current_services
from app.simulation.errors import SimulationError
from app.simulation.run import simulate
from app.simulation.scenarios import SCENARIOS
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.flows import flow_or_404
from app.web.admin.page import render_page

log = logging.getLogger(__name__)

MAX_EMAIL = 320


@bp.post("/flows/<flow_key>/simulate")
def simulate_flow(flow_key: str) -> tuple[str, int]:
    """Simulate one flow for the chosen scenario or contact and show its timeline."""
    shop = current_shop()
    flow = flow_or_404(flow_key)
    email = request.form.get("contact", "").strip()[:MAX_EMAIL] or None
    scenario = request.form.get("scenario", "engaged")
    services = current_services()
    try:
        simulation = simulate(
            db.engine,
            services.config,
            platforms_of(services),
            shop.id,
            flow.key,
            services.clock.now(),
            scenario=scenario,
            email=email,
        )
    except SimulationError as exc:
        return render_page(
            "admin/simulation.html",
            status=400,
            flow=flow,
            simulation=None,
            error=str(exc),
            scenarios=SCENARIOS,
        )
    log.info("shop %s simulated %s (%s)", shop.id, flow.key, "contact" if email else scenario)
    return render_page(
        "admin/simulation.html", flow=flow, simulation=simulation, error=None, scenarios=SCENARIOS
    )
