"""Webhook processing events/s: batches in one unit of work against one unit of work per event.

The same N signed Shopify checkout webhooks (the sample bench/e2e.py and bench/querycount.py use,
each a new shopper who accepts marketing, so each one creates a contact, a consent record, a
checkout and an abandoned-checkout enrollment) are stored through the real webhook endpoint twice,
once for each of two identical shops, on a fresh PostgreSQL database. One shop's events are then
processed as the relay hands them out (batches of 100 ids) by today's design, one event per unit
of work with its own commit (``app.jobs.event_batch.process_each``, the loop ``process_events``
ran before batching), and the other shop's by the batched path (``process_batch``: one unit of
work and one commit per batch). Both run in this process, on the same engine, with the real RQ
step scheduler (Redis database 12, flushed before and after), alternating in rounds so that the
neighbours' load falls on both alike. Target: batched >= 5x per-event events/s.

    .venv/bin/python bench/processing.py [--events 2000] [--rounds 2] [--redis redis://127.0.0.1:6379/12]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.core.clock import Clock, ManualClock, utcnow  # noqa: E402
from app.core.config import Config  # noqa: E402
from app.db import db  # noqa: E402
from app.db.models import Enrollment, FlowSetting, Shop, WebhookEvent  # noqa: E402
from app.jobs.event_batch import BatchResult, process_batch, process_each  # noqa: E402
from app.jobs.processing import EventProcessor  # noqa: E402
from app.jobs.relay import BATCH_SIZE  # noqa: E402
from app.jobs.scheduling import RQStepScheduler  # noqa: E402
from app.web.factory import create_app  # noqa: E402
from bench.e2e import FLOW, SECRET  # noqa: E402
from bench.ingest import app_env, bench_database  # noqa: E402
from bench.querycount import checkout  # noqa: E402
from flows.catalogue import get_flow  # noqa: E402
from webhooks.shopify.verify import sign  # noqa: E402

TARGET = 5.0
Driver = Callable[[Session, EventProcessor, Sequence[int], Clock], BatchResult]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    redis = Redis.from_url(args.redis)
    redis.flushdb()
    clock = ManualClock(utcnow())
    with bench_database() as database_url:
        env = {**app_env(database_url), "REDIS_URL": args.redis, "LOG_LEVEL": "WARNING"}
        app = create_app(Config.from_env(env), clock=clock)
        services = app.extensions["storeflow"]
        with app.app_context():
            flask_migrate.upgrade()
            domains = {"per_event": "bench-each.myshopify.com", "batched": "bench-batch.myshopify.com"}
            shops = {name: _shop(domain) for name, domain in domains.items()}
            db.session.commit()
        client = app.test_client()
        bodies = [checkout(n, 1, clock) for n in range(args.events)]
        started = time.perf_counter()
        for name, domain in domains.items():
            for n, body in enumerate(bodies):
                headers = {
                    "X-Shopify-Topic": "checkouts/create",
                    "X-Shopify-Shop-Domain": domain,
                    "X-Shopify-Event-Id": f"proc-{name}-{n}",
                    "X-Shopify-Hmac-Sha256": sign(body, SECRET),
                }
                assert client.post("/webhooks/shopify", data=body, headers=headers).status_code == 200
        print(f"stored {2 * args.events} webhooks in {time.perf_counter() - started:.1f} s")
        with app.app_context():
            ids = {name: _event_ids(shop_id) for name, shop_id in shops.items()}
            db.session.remove()
        drivers: dict[str, Driver] = {"per_event": process_each, "batched": process_batch}
        elapsed = dict.fromkeys(drivers, 0.0)
        done = dict.fromkeys(drivers, 0)
        for round_number in range(args.rounds):
            order = list(drivers) if round_number % 2 == 0 else list(reversed(drivers))
            for name in order:
                share = _share(ids[name], round_number, args.rounds)
                seconds = _run(app, drivers[name], share)
                elapsed[name] += seconds
                done[name] += len(share)
                print(f"round {round_number + 1}: {name:>9}: {len(share)} events in {seconds:.2f} s")
        rates = {name: done[name] / elapsed[name] for name in drivers}
        ratio = rates["batched"] / rates["per_event"]
        with app.app_context():
            checks = {name: _outcome(shop_id) for name, shop_id in shops.items()}
            db.session.remove()
        correct = all(check == (args.events, args.events) for check in checks.values())
        print(f"per event (one unit of work each): {rates['per_event']:.0f} events/s")
        print(f"batched (one unit of work per {BATCH_SIZE}): {rates['batched']:.0f} events/s")
        verdict = "PASS" if ratio >= TARGET else "FAIL"
        print(f"ratio batched / per event: {ratio:.2f}x (target >= {TARGET:.0f}x)  {verdict}")
        same = "PASS" if correct else "FAIL"
        print(f"same outcome: processed, enrolled per shop {checks}  {same}")
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        result = {
            "events": args.events,
            "per_event_events_per_s": round(rates["per_event"], 1),
            "batched_events_per_s": round(rates["batched"], 1),
            "ratio": round(ratio, 2),
            "target": TARGET,
            "pass": ratio >= TARGET,
            "same_outcome": correct,
            "load_average": os.getloadavg()[0],
        }
        print("RESULT " + json.dumps(result))
        with app.app_context():
            db.engine.dispose()
        services.close()
    redis.flushdb()
    if not correct or ratio < TARGET:
        raise SystemExit(1)


def _shop(domain: str) -> int:
    """An installed shop with only the abandoned-checkout flow's first reminder on."""
    shop = Shop(platform="shopify", domain=domain, name="Bench", installed_at=utcnow())
    db.session.add(shop)
    db.session.flush()
    sends = [s.setting for s in get_flow(FLOW).sends()]
    steps = {name: n == 0 for n, name in enumerate(sends)}
    db.session.add(FlowSetting(shop_id=shop.id, flow_key=FLOW, enabled=True, overrides={"steps": steps}))
    return shop.id


def _event_ids(shop_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(WebhookEvent.id).where(WebhookEvent.shop_id == shop_id).order_by(WebhookEvent.id)
        )
    )


def _share(ids: list[int], round_number: int, rounds: int) -> list[int]:
    size = -(-len(ids) // rounds)
    return ids[round_number * size : (round_number + 1) * size]


def _run(app: Any, driver: Driver, ids: list[int]) -> float:
    """Hand ``ids`` to ``driver`` in the relay's batches, as ``process_events`` jobs get them; time it."""
    services = app.extensions["storeflow"]
    with app.app_context():
        session = db.session()
        scheduler = RQStepScheduler(services.queue, services.clock)
        processor = EventProcessor(session, services.clock, scheduler)
        started = time.perf_counter()
        for start in range(0, len(ids), BATCH_SIZE):
            result = driver(session, processor, ids[start : start + BATCH_SIZE], services.clock)
            assert not result.failed, result.failed
            db.session.remove()  # each job ends with its session removed (the worker's teardown)
            session = db.session()
            processor = EventProcessor(session, services.clock, scheduler)
        return time.perf_counter() - started


def _outcome(shop_id: int) -> tuple[int, int]:
    processed = db.session.scalar(
        select(func.count()).where(WebhookEvent.shop_id == shop_id, WebhookEvent.status == "processed")
    )
    enrolled = db.session.scalar(
        select(func.count()).where(Enrollment.shop_id == shop_id, Enrollment.flow_key == FLOW)
    )
    return int(processed or 0), int(enrolled or 0)


if __name__ == "__main__":
    main()
