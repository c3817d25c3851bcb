"""Health checks: a liveness probe for the platform router, and a deep check for the operator.

``/healthz`` answers without touching Redis: the router and the slow-client tests probe it, and the
webhook path must stay up while Redis is down. ``/healthz?deep=1`` also checks Redis, that a worker
has a recent heartbeat and that due steps are not running late (app/jobs/health.py): 200 with each
check when all pass, 503 naming the failing ones otherwise, never 500.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from sqlalchemy import text

from app.core.clock import utcnow
from app.db import db
from app.jobs.health import assess
from app.jobs.services import current_services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    if request.args.get("deep"):
        return _deep()
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}, 200


def _deep() -> tuple[dict[str, Any], int]:
    services = current_services()
    health = assess(db.session(), services.quick_redis, services.clock.now(), utcnow())
    checks = {check.name: {"ok": check.ok, "detail": check.detail} for check in health.checks}
    if health.ok:
        return {"status": "ok", "checks": checks}, 200
    failing = [check.name for check in health.checks if not check.ok]
    return {"status": "failing", "failing": failing, "checks": checks}, 503
