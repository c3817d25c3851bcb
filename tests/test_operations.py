"""The operator's view: /metrics, /healthz?deep=1 and ``flask storeflow status`` on real stores."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from rq import Queue, Worker
from rq.utils import utcformat

from app.core.clock import utcnow
from app.db.models import Enrollment, Message, WebhookEvent
from app.web.webhooks.ingress import Reply, WebhookIngress

TOKEN = "metrics-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def config_changes():
    return {"metrics_token": TOKEN}


@pytest.fixture
def shop(factory):
    return factory.shop()


def _event(factory, shop, event_id, status="pending", attempts=0):
    factory.session.add(
        WebhookEvent(
            shop_id=shop.id,
            platform=shop.platform,
            topic="checkouts/create",
            event_id=event_id,
            body="{}",
            status=status,
            attempts=attempts,
            processed_at=None if status == "pending" else factory.clock.now(),
        )
    )
    factory.session.commit()


def _enrollment(factory, shop, subject, next_run_at=None):
    contact = factory.contact(shop, email=f"{subject}@example.com")
    now = factory.clock.now()
    enrollment = Enrollment(
        shop_id=shop.id,
        flow_key="abandoned_checkout",
        subject_key=subject,
        contact_id=contact.id,
        anchor_at=now,
        last_activity_at=now,
        started_at=now,
        next_run_at=next_run_at,
    )
    factory.session.add(enrollment)
    factory.session.commit()
    return enrollment


def _message(factory, enrollment, step, status, channel="email", took=None):
    now = factory.clock.now()
    factory.session.add(
        Message(
            shop_id=enrollment.shop_id,
            enrollment_id=enrollment.id,
            contact_id=enrollment.contact_id,
            step_index=step,
            flow_key=enrollment.flow_key,
            channel=channel,
            template="t",
            status=status,
            claimed_at=now - took if took else None,
            sent_at=now if took else None,
        )
    )
    factory.session.commit()


def _live_worker(redis, heartbeat=None):
    worker = Worker([Queue("storeflow", connection=redis)], connection=redis)
    worker.register_birth()
    worker.heartbeat()
    if heartbeat is not None:
        redis.hset(worker.key, "last_heartbeat", utcformat(heartbeat))
    return worker


def _metric(text, line_start):
    return [line for line in text.splitlines() if line.startswith(line_start)]


# /metrics


def test_metrics_is_not_found_without_a_token_configured(app, client):
    services = app.extensions["storeflow"]
    services.config = services.config.replace(metrics_token="")

    assert client.get("/metrics", headers=AUTH).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", TOKEN, f"Basic {TOKEN}"])
def test_metrics_refuses_a_missing_or_wrong_bearer(client, header):
    response = client.get("/metrics", headers={"Authorization": header} if header else {})

    assert response.status_code == 401
    assert "storeflow" not in response.text


def test_metrics_reads_the_workers_figures_from_the_database(client, factory, shop):
    _event(factory, shop, "e1", "processed")
    _event(factory, shop, "e2", "processed")
    _event(factory, shop, "e3", "quarantined", attempts=5)
    _event(factory, shop, "e4", "pending", attempts=2)
    late = _enrollment(factory, shop, "late", next_run_at=factory.clock.now() - timedelta(seconds=90))
    _enrollment(factory, shop, "later", next_run_at=factory.clock.now() + timedelta(hours=1))
    _message(factory, late, 0, "sent", took=timedelta(seconds=2))
    _message(factory, late, 1, "failed")

    response = client.get("/metrics", headers=AUTH)

    assert response.status_code == 200
    text = response.text
    assert 'storeflow_webhook_events{platform="shopify",status="processed"} 2.0' in text
    assert 'storeflow_webhook_events{platform="shopify",status="quarantined"} 1.0' in text
    assert 'storeflow_webhook_events_failing{platform="shopify"} 1.0' in text
    assert "storeflow_due_lag_seconds 90.0" in text
    assert "storeflow_overdue_steps 1.0" in text
    assert 'storeflow_messages{channel="email",status="sent"} 1.0' in text
    assert 'storeflow_messages{channel="email",status="failed"} 1.0' in text
    assert 'storeflow_provider_latency_max_seconds{channel="email"} 2.0' in text
    assert "storeflow_database_up 1.0" in text


def test_metrics_counts_webhook_deliveries_by_door_and_reason(client):
    def receiver(headers, raw):
        return Reply.error(401, "bad signature") if raw == b"forged" else Reply.status("duplicate")

    ingress = WebhookIngress(lambda environ, start: [], {"/webhooks/test-door": receiver}, 100)

    def deliver(body):
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/webhooks/test-door",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        list(ingress(environ, lambda status, headers: None))

    before = client.get("/metrics", headers=AUTH).text
    deliver(b"{}")
    deliver(b"forged")
    deliver(b"forged")
    after = client.get("/metrics", headers=AUTH).text

    door = 'door="/webhooks/test-door"'
    duplicate = f'storeflow_webhook_deliveries_total{{{door},outcome="duplicate"}}'
    refused = f'storeflow_webhook_refusals_total{{{door},reason="401"}}'
    assert not _metric(before, refused)
    assert _metric(after, duplicate) == [f"{duplicate} 1.0"]
    assert _metric(after, refused) == [f"{refused} 2.0"]


# /healthz


def test_plain_healthz_stays_a_liveness_probe_without_a_worker(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_deep_healthz_passes_with_a_live_worker_and_steps_on_time(client, redis):
    _live_worker(redis)

    response = client.get("/healthz?deep=1")

    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert set(response.json["checks"]) == {"database", "redis", "workers", "due_lag"}


def test_deep_healthz_names_a_missing_worker(client, redis):
    response = client.get("/healthz?deep=1")

    assert response.status_code == 503
    assert response.json["failing"] == ["workers"]
    assert response.json["checks"]["workers"]["detail"] == "no worker registered"


def test_deep_healthz_names_a_worker_whose_heartbeat_stopped(client, redis):
    _live_worker(redis, heartbeat=utcnow() - timedelta(minutes=30))

    response = client.get("/healthz?deep=1")

    assert response.status_code == 503
    assert response.json["failing"] == ["workers"]


def test_deep_healthz_names_due_steps_running_late(client, redis, factory, shop):
    _live_worker(redis)
    _enrollment(factory, shop, "late", next_run_at=factory.clock.now() - timedelta(minutes=20))

    response = client.get("/healthz?deep=1")

    assert response.status_code == 503
    assert response.json["failing"] == ["due_lag"]
    assert response.json["checks"]["due_lag"]["detail"] == "1200 s (1 overdue step(s))"


def test_deep_healthz_answers_503_not_500_when_redis_is_down(app, client):
    from redis import Redis

    services = app.extensions["storeflow"]
    services.__dict__["quick_redis"] = Redis(port=1, socket_connect_timeout=0.2)

    response = client.get("/healthz?deep=1")

    assert response.status_code == 503
    assert response.json["failing"] == ["redis", "workers"]
    assert response.json["checks"]["redis"]["detail"] == "ConnectionError"


# flask storeflow status


def test_status_prints_the_figures_and_exits_zero_when_healthy(app, redis, factory, shop):
    worker = _live_worker(redis)
    _event(factory, shop, "q1", "quarantined", attempts=5)
    _event(factory, shop, "p1", "pending", attempts=1)
    Queue("storeflow", connection=redis).enqueue("builtins.print")

    result = app.test_cli_runner().invoke(args=["storeflow", "status"])

    assert result.exit_code == 0, result.output
    assert "queue storeflow: 1 queued, 0 scheduled, 0 failed job(s)" in result.output
    assert "due lag: 0 s, 0 overdue step(s)" in result.output
    assert "events: 1 unprocessed (1 failing), 0 rejected, 1 quarantined" in result.output
    assert f"worker {worker.name}:" in result.output
    assert "ok   workers: 1 with a recent heartbeat" in result.output


def test_status_exits_non_zero_without_a_worker(app, redis):
    result = app.test_cli_runner().invoke(args=["storeflow", "status"])

    assert result.exit_code == 1
    assert "FAIL workers: no worker registered" in result.output


# LOG_FORMAT=json


def test_the_json_log_format_writes_one_object_a_line():
    import json
    import logging

    from app.core.logs import JsonFormatter

    record = logging.LogRecord("storeflow.test", logging.INFO, __file__, 1, "shop %s: sent", (7,), None)

    entry = json.loads(JsonFormatter().format(record))

    assert entry["level"] == "INFO"
    assert entry["logger"] == "storeflow.test"
    assert entry["message"] == "shop 7: sent"


def test_an_unknown_log_format_is_refused_at_start_up():
    from app.core.config import Config, ConfigError

    with pytest.raises(ConfigError, match="LOG_FORMAT must be one of text, json"):
        Config.from_env({"LOG_FORMAT": "xml"})
