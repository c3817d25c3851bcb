"""Count SQL statements per webhook and per send, in process, with SQLAlchemy event listeners.

It drives the real pipeline like the tests' Harness does (relay, RQ on Redis database 12, the step
jobs) on a fresh PostgreSQL database, with a manual clock, and counts every statement sent on
each engine (the ORM's and the inbox's) in three stages: the webhook request, its processing
(normalize, merge, enroll), and the send of its first reminder (to the dev outbox). Checkouts of 1
and of 20 line items must cost the same: a difference is an N+1. ``--profile`` adds a cProfile of
the send stage, the slowest per job.

    .venv/bin/python bench/querycount.py [--checkouts 100] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from app.core.clock import ManualClock, utcnow  # noqa: E402
from app.core.config import Config  # noqa: E402
from app.db import db  # noqa: E402
from app.db.models import Enrollment, FlowSetting, Shop  # noqa: E402
from app.jobs.relay import relay_webhooks  # noqa: E402
from app.jobs.steps import drain_due  # noqa: E402
from app.jobs.tasks import step_executor  # noqa: E402
from app.jobs.worker import make_worker  # noqa: E402
from app.web.factory import create_app  # noqa: E402
from bench.e2e import FLOW, REDIS_URL, SAMPLE, SECRET, SHOP_DOMAIN  # noqa: E402
from bench.ingest import app_env, bench_database  # noqa: E402
from flows.catalogue import get_flow  # noqa: E402
from webhooks.shopify.verify import sign  # noqa: E402


class StatementCounter:
    """Count statements sent on the engines it watches, by their first words."""

    def __init__(self, engines: list[Engine]) -> None:
        self.engines = engines
        self.kinds: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    def _count(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split()
        kind = (
            " ".join(words[:2])
            if words and words[0] in {"SELECT", "INSERT", "UPDATE", "DELETE"}
            else words[0]
        )
        if kind.startswith("SELECT"):
            table = next((words[n + 1] for n, w in enumerate(words[:-1]) if w == "FROM"), "?")
            kind = f"SELECT {table}"
        self.kinds[kind] += 1

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        self.kinds.clear()
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._count)
        try:
            yield self
        finally:
            for engine in self.engines:
                event.remove(engine, "before_cursor_execute", self._count)


def checkout(number: int, lines: int, clock: ManualClock) -> bytes:
    """A new shopper's checkout with ``lines`` line items (numbers are unique across rounds)."""
    number += 1000 * lines
    template = json.loads(SAMPLE.read_text())
    item = template["line_items"][0]
    payload = {
        **template,
        "id": 30_000_000 + number,
        "token": f"qc-{lines}-{number}",
        "email": f"qc{lines}-{number}@bench.example",
        "buyer_accepts_marketing": True,
        "updated_at": clock.now().isoformat(),
        "customer": {
            **template["customer"],
            "id": 40_000_000 + number,
            "email": f"qc{lines}-{number}@bench.example",
        },
        "line_items": [
            {**item, "title": f"Item {n}", "variant_id": 900 + n, "product_id": 800 + n} for n in range(lines)
        ],
    }
    return json.dumps(payload).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=100)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    clock = ManualClock(utcnow())
    with bench_database() as database_url:
        env = {**app_env(database_url), "REDIS_URL": REDIS_URL, "LOG_LEVEL": "WARNING"}
        app = create_app(Config.from_env(env), clock=clock)
        services = app.extensions["storeflow"]
        with app.app_context():
            flask_migrate.upgrade()
            shop = Shop(platform="shopify", domain=SHOP_DOMAIN, name="Bench", installed_at=utcnow())
            db.session.add(shop)
            db.session.flush()
            sends = [s.setting for s in get_flow(FLOW).sends()]
            steps = {name: n == 0 for n, name in enumerate(sends)}
            db.session.add(
                FlowSetting(shop_id=shop.id, flow_key=FLOW, enabled=True, overrides={"steps": steps})
            )
            db.session.commit()
            engines = [db.engine, services.inbox.engine]
        counter = StatementCounter(engines)
        # The inbox writes through a raw DBAPI cursor (no SQLAlchemy events): count its INSERTs here.
        writer = services.inbox.writer
        execute = writer._execute

        def counted_execute(connection: Any, rows: list[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
            counter.kinds["INSERT INTO webhook_event (inbox)"] += 1
            return execute(connection, rows)

        writer._execute = counted_execute  # type: ignore[method-assign]
        client = app.test_client()
        figures: dict[str, dict[str, float]] = {}
        for lines in (1, 20):
            bodies = [checkout(n, lines, clock) for n in range(args.checkouts)]
            with counter.counting():
                for body in bodies:
                    headers = {
                        "X-Shopify-Topic": "checkouts/create",
                        "X-Shopify-Shop-Domain": SHOP_DOMAIN,
                        "X-Shopify-Event-Id": f"qc-{lines}-{len(body)}-{hash(body)}",
                        "X-Shopify-Hmac-Sha256": sign(body, SECRET),
                    }
                    assert client.post("/webhooks/shopify", data=body, headers=headers).status_code == 200
            ingest = counter.total / args.checkouts
            ingest_kinds = dict(counter.kinds)
            with counter.counting():
                drain(app)
            processing = counter.total / args.checkouts
            processing_kinds = dict(counter.kinds)
            clock.advance(timedelta(hours=2))
            profile = cProfile.Profile() if args.profile and lines == 20 else None
            with counter.counting():
                started = time.perf_counter()
                if profile:
                    profile.enable()
                drain(app)
                if profile:
                    profile.disable()
                elapsed = time.perf_counter() - started
            sends_made = sent(app)
            send = counter.total / max(sends_made, 1)
            figures[f"{lines} line item(s)"] = {"webhook": ingest, "processing": processing, "send": send}
            print(f"checkouts with {lines:>2} line item(s): {ingest:.1f} statement(s) per webhook request,")
            print(f"    {processing:.1f} per processing, {send:.1f} per reminder sent ({sends_made} sent,")
            print(f"    {1000 * elapsed / max(sends_made, 1):.1f} ms of one process per send, in batches)")
            print(f"    request: {ingest_kinds}")
            print(f"    processing: {_per(processing_kinds, args.checkouts)}")
            print(f"    send: {_per(dict(counter.kinds), max(sends_made, 1))}")
            if profile:
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats(
                    os.environ.get("PROFILE_SORT", "cumulative")
                ).print_stats(40)
                print(out.getvalue())
            reset(app)
        one, twenty = figures["1 line item(s)"], figures["20 line item(s)"]
        flat = all(abs(one[k] - twenty[k]) < 0.5 for k in one)
        verdict = "PASS" if flat else "FAIL"
        print(f"\nno N+1: statements do not grow with line items ({one} vs {twenty})  {verdict}")
        (ROOT / "bench" / "results").mkdir(exist_ok=True)
        (ROOT / "bench" / "results" / "querycount.json").write_text(json.dumps(figures, indent=2) + "\n")
        with app.app_context():
            db.engine.dispose()
        services.close()
    redis.flushdb()
    if not flat:
        raise SystemExit(1)


def drain(app: Any) -> None:
    """Relay, run every queued job and every due step in this process, as the tests' Harness does."""
    services = app.extensions["storeflow"]
    for _ in range(50):
        with app.app_context():
            relay_webhooks(db.session, services.queue)
            db.session.remove()
        queued = len(services.queue)
        if queued:
            make_worker(app).work(burst=True, max_jobs=100_000)
        with app.app_context(), ThreadPoolExecutor(services.config.send_concurrency) as pool:
            ran = drain_due(step_executor(services, pool))
            db.session.remove()
        if not queued and not ran:
            return


def sent(app: Any) -> int:
    from app.db.models import Message

    with app.app_context():
        count = len(db.session.scalars(select(Message.id).where(Message.status == "sent")).all())
        db.session.remove()
        return count


def reset(app: Any) -> None:
    """Forget the round's enrollments and messages (so the next round counts only its own sends)."""
    from app.db.models import Message

    with app.app_context():
        db.session.query(Message).delete()
        db.session.query(Enrollment).delete()
        db.session.commit()


def _per(kinds: dict[str, int], count: int) -> dict[str, float]:
    return {kind: round(n / count, 2) for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1])}


if __name__ == "__main__":
    main()
