"""``/metrics`` for Prometheus, behind METRICS_TOKEN.

Two kinds of figure. What the workers do (events processed, steps run, messages sent) happens in
other processes, on other dynos, so it is read from the database when Prometheus scrapes
(app/reports/operations.py): every web process reports the same numbers, and none are lost when a
worker restarts. What only the web sees (webhook deliveries received and refused, by door and
reason) is counted in this process; Prometheus sums the web processes.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from flask import Blueprint, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from app.db import db
from app.jobs.services import current_services
from app.reports.operations import Operations, read_operations

bp = Blueprint("metrics", __name__)

# Unregistered: each scrape builds its own registry, so test apps and reloads never clash.
WEBHOOK_DELIVERIES = Counter(
    "storeflow_webhook_deliveries",
    "Platform webhook deliveries answered by this web process, by door (path) and outcome "
    "(stored, duplicate, ... or refused).",
    ["door", "outcome"],
    registry=None,
)
WEBHOOK_REFUSALS = Counter(
    "storeflow_webhook_refusals",
    "Platform webhook deliveries refused by this web process, by door (path) and reason (HTTP status).",
    ["door", "reason"],
    registry=None,
)


def count_delivery(door: str, status_code: int, outcome: str) -> None:
    """Count one answered delivery (app/web/webhooks/ingress.py calls it for every reply)."""
    if status_code < 400:
        WEBHOOK_DELIVERIES.labels(door, outcome or str(status_code)).inc()
        return
    WEBHOOK_DELIVERIES.labels(door, "refused").inc()
    WEBHOOK_REFUSALS.labels(door, str(status_code)).inc()


@bp.get("/metrics")
def metrics() -> Response:
    token = current_services().config.metrics_token
    if not token:
        abort(404)
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return Response("unauthorized\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'})
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WEBHOOK_DELIVERIES)
    registry.register(WEBHOOK_REFUSALS)
    registry.register(DatabaseCollector(_reading()))
    return Response(generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST})


def _reading() -> Operations | None:
    try:
        return read_operations(db.session(), current_services().clock.now())
    except SQLAlchemyError:
        db.session.rollback()
        return None


class DatabaseCollector(Collector):
    """The figures of one database reading, as gauges (rows change state, so they go down as well)."""

    def __init__(self, reading: Operations | None) -> None:
        self.reading = reading

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "storeflow_database_up",
            "1 when the database answered this scrape.",
            value=int(self.reading is not None),
        )
        reading = self.reading
        if reading is None:
            return
        events = GaugeMetricFamily(
            "storeflow_webhook_events",
            "Stored webhook events by platform and inbox status (pending, processed, ignored, "
            "rejected, quarantined, refused).",
            labels=["platform", "status"],
        )
        for (platform, status), count in sorted(reading.events.items()):
            events.add_metric([platform, status], count)
        yield events
        failing = GaugeMetricFamily(
            "storeflow_webhook_events_failing",
            "Unsettled webhook events whose processing raised at least once (waiting for a retry).",
            labels=["platform"],
        )
        for platform, count in sorted(reading.failing.items()):
            failing.add_metric([platform], count)
        yield failing
        yield GaugeMetricFamily(
            "storeflow_due_lag_seconds",
            "How late the oldest overdue flow step is (flow time); 0 when none is overdue.",
            value=reading.due_lag.total_seconds(),
        )
        yield GaugeMetricFamily(
            "storeflow_overdue_steps",
            "Flow steps whose time has come and not run.",
            value=reading.overdue_steps,
        )
        messages = GaugeMetricFamily(
            "storeflow_messages",
            "Messages by channel and status (sent, failed, skipped, delivered, bounced, ...).",
            labels=["channel", "status"],
        )
        for (channel, status), count in sorted(reading.messages.items()):
            messages.add_metric([channel, status], count)
        yield messages
        yield from _latency(reading)


def _latency(reading: Operations) -> Iterator[GaugeMetricFamily]:
    help_suffix = "provider latency (claimed to sent) over the last hour's sends, by channel."
    sends = GaugeMetricFamily(
        "storeflow_provider_recent_sends", "Sends in the last hour, by channel.", labels=["channel"]
    )
    average = GaugeMetricFamily(
        "storeflow_provider_latency_average_seconds", f"Average {help_suffix}", labels=["channel"]
    )
    longest = GaugeMetricFamily(
        "storeflow_provider_latency_max_seconds", f"Longest {help_suffix}", labels=["channel"]
    )
    for channel, figures in sorted(reading.latency.items()):
        sends.add_metric([channel], figures.count)
        average.add_metric([channel], figures.average)
        longest.add_metric([channel], figures.longest)
    yield from (sends, average, longest)
