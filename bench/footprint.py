"""Footprint: database size, Redis memory and worker memory per 100,000 enrollments.

``--enrollments`` distinct shoppers' checkout webhooks are stored through the real inbox and
processed by the real EventProcessor in two forked processes (as two workers would), with the
abandoned-checkout flow on at its defaults: each shopper ends enrolled, their first reminder
scheduled an hour ahead as an RQ job in Redis (database 12). Then it measures what that costs:

- PostgreSQL: ``pg_total_relation_size`` of every table (rows, indexes, TOAST), and per enrollment;
- Redis: ``MEMORY USAGE`` of every key in database 12 (the scheduled step jobs and their registry);
- workers: peak resident memory of the processing processes (it does not grow with enrollments).

Baselines from the same run: the database's growth against the bytes of the webhooks received
(what any system must at least keep to replay them), and each enrollment's Redis bytes against a
bare RQ no-op job scheduled an hour ahead the same way.

Figures are scaled to 100,000 enrollments (they grow linearly; ``--enrollments 100000`` measures it).

    .venv/bin/python bench/footprint.py [--enrollments 20000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
import psycopg  # noqa: E402
from redis import Redis  # noqa: E402
from rq import Queue  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.core.clock import utcnow  # noqa: E402
from app.core.config import Config  # noqa: E402
from app.db import db  # noqa: E402
from app.db.models import FlowSetting, Shop, WebhookEvent  # noqa: E402
from app.jobs.processing import EventProcessor  # noqa: E402
from app.jobs.scheduling import StepWake  # noqa: E402
from app.web.factory import create_app  # noqa: E402
from bench.e2e import FLOW, REDIS_URL, SAMPLE, SHOP_DOMAIN  # noqa: E402
from bench.ingest import RESULTS, app_env, bench_database, machine  # noqa: E402
from bench.noop import noop  # noqa: E402
from webhooks.inbox import IncomingEvent  # noqa: E402

PER = 100_000


def store_webhooks(app: Any, shop_id: int, count: int) -> int:
    """Store ``count`` distinct checkout webhooks through the inbox, as the endpoint does; return bytes."""
    template = json.loads(SAMPLE.read_text())
    inbox = app.extensions["storeflow"].inbox
    now = utcnow()
    received = 0
    for n in range(count):
        email = f"fp-{n}@bench.example"
        payload = {
            **template,
            "id": 50_000_000 + n,
            "token": f"fp-{n}",
            "cart_token": f"cart-fp-{n}",
            "email": email,
            "buyer_accepts_marketing": True,
            "updated_at": now.isoformat(),
            "customer": {**template["customer"], "id": 60_000_000 + n, "email": email},
        }
        body = json.dumps(payload)
        received += len(body.encode())
        inbox.store(IncomingEvent(shop_id, "shopify", "checkouts/create", f"fp-{n}", body, received_at=now))
    return received


def process(env: dict[str, str], ids: list[int], peak: Any) -> None:
    """Be one worker: process these events with the real processor and RQ scheduler."""
    app = create_app(Config.from_env(env))
    services = app.extensions["storeflow"]
    with app.app_context():
        processor = EventProcessor(db.session(), services.clock, StepWake(services.redis, services.clock))
        for event_id in ids:
            processor.process(event_id)
        db.session.remove()
    peak.value = max(peak.value, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def table_sizes(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        rows = conn.execute(
            "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
        ).fetchall()
    return {name: int(size) for name, size in rows}


def redis_bytes(redis: Redis) -> tuple[int, int]:
    """Return (keys, bytes) of everything in the benchmark's Redis database."""
    keys = list(redis.scan_iter(count=5000))
    total = 0
    for start in range(0, len(keys), 1000):
        pipe = redis.pipeline(transaction=False)
        for key in keys[start : start + 1000]:
            pipe.memory_usage(key, samples=0)
        total += sum(int(size or 0) for size in pipe.execute())
    return len(keys), total


def bare_scheduled_job_bytes(redis: Redis, count: int = 1000) -> float:
    """Return the Redis bytes of one bare RQ job scheduled an hour ahead: the baseline of a step job."""
    redis.flushdb()
    queue = Queue("storeflow", connection=redis)
    later = datetime.now(UTC) + timedelta(hours=1)
    for _ in range(count):
        queue.enqueue_at(later, noop)
    _, total = redis_bytes(redis)
    redis.flushdb()
    return total / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--enrollments", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    facts = machine()
    with bench_database() as database_url:
        env = {**app_env(database_url), "REDIS_URL": REDIS_URL, "LOG_LEVEL": "WARNING"}
        app = create_app(Config.from_env(env))
        with app.app_context():
            flask_migrate.upgrade()
            shop = Shop(platform="shopify", domain=SHOP_DOMAIN, name="Bench", installed_at=utcnow())
            db.session.add(shop)
            db.session.flush()
            db.session.add(FlowSetting(shop_id=shop.id, flow_key=FLOW, enabled=True, overrides={}))
            db.session.commit()
            shop_id = shop.id
        empty = table_sizes(database_url)
        started = time.monotonic()
        received = store_webhooks(app, shop_id, args.enrollments)
        stored_s = time.monotonic() - started
        with app.app_context():
            ids = list(db.session.scalars(select(WebhookEvent.id).order_by(WebhookEvent.id)))
            db.engine.dispose()
        app.extensions["storeflow"].close()
        context = multiprocessing.get_context("fork")
        peak = context.Value("l", 0)
        workers = [
            context.Process(target=process, args=(env, ids[n :: args.processes], peak))
            for n in range(args.processes)
        ]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        processed_s = time.monotonic() - started
        with psycopg.connect(database_url) as conn:
            row = conn.execute("SELECT count(*) FROM enrollment WHERE state = 'active'").fetchone()
            enrolled = int(row[0]) if row else 0
        sizes = table_sizes(database_url)
    keys, redis_total = redis_bytes(redis)
    bare_job = bare_scheduled_job_bytes(redis)
    grown = {name: sizes[name] - empty.get(name, 0) for name in sizes if sizes[name] - empty.get(name, 0) > 0}
    scale = PER / max(enrolled, 1)
    print(f"machine: {facts['nproc']} x {facts['cpu']}, load average {facts['loadavg']}")
    print(f"{args.enrollments} checkout webhooks stored in {stored_s:.0f} s, processed by {args.processes}")
    rate = args.enrollments / processed_s
    print(f"processes in {processed_s:.0f} s ({rate:.0f} events/s): {enrolled} enrollments\n")
    print(f"per {PER:,} enrollments (measured at {enrolled:,}, scaled linearly):")
    for name, size in sorted(grown.items(), key=lambda kv: -kv[1]):
        each = size / max(enrolled, 1)
        print(f"  postgres {name:<16} {size * scale / 2**20:8.1f} MB   ({each:7.0f} bytes each)")
    database = sum(grown.values())
    per_webhook = received / args.enrollments
    print(
        f"  postgres total           {database * scale / 2**20:8.1f} MB"
        f"   = {database / received:.2f} x the webhook bytes received ({per_webhook:.0f} each)"
    )
    each = redis_total / max(enrolled, 1)
    print(
        f"  redis ({keys} keys)    {redis_total * scale / 2**20:8.1f} MB   ({each:7.0f} bytes each)"
        f" = {each / bare_job:.2f} x a bare RQ job scheduled the same way ({bare_job:.0f} bytes)"
    )
    print(f"  worker peak RSS          {peak.value / 1024:8.1f} MB per process (independent of enrollments)")
    passed = enrolled == args.enrollments
    print(
        f"\n{'PASS' if passed else 'FAIL'}  every webhook enrolled its shopper: {enrolled}/{args.enrollments}"
    )
    output = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": facts,
        "enrollments": enrolled,
        "per_100k_mb": {
            "postgres": {name: round(size * scale / 2**20, 1) for name, size in grown.items()},
            "postgres_total": round(database * scale / 2**20, 1),
            "redis": round(redis_total * scale / 2**20, 1),
        },
        "postgres_to_webhook_bytes": round(database / received, 2),
        "redis_to_bare_scheduled_job": round(each / bare_job, 2),
        "worker_peak_rss_mb": round(peak.value / 1024, 1),
        "events_per_s": round(args.enrollments / processed_s, 1),
    }
    (RESULTS / "footprint.json").write_text(json.dumps(output, indent=2) + "\n")
    if not passed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
