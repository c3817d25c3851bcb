"""A back-in-stock wave to ``--recipients`` shoppers (issue 16): time to the last send, worker RSS.

On a fresh PostgreSQL database: one installed Shopify shop with the back-in-stock flow on, one
product whose only variant is out of stock, and ``--recipients`` shoppers (default 100,000) who
asked to be told through the "notify me" form (a ``stock_alert`` row each, the audience of
app/catalog/audience.py ``interested_contacts``), each with email consent. Everything is seeded
with set-based INSERTs (a few seconds), not the ORM row by row.

Then the product comes back the way it does in production: a signed Shopify
``inventory_levels/update`` webhook POSTed to the app under gunicorn; ``--workers`` processes of
``flask --app wsgi storeflow worker`` (RQ worker, batched step executor, relay with its calendar
tick) process it, open the wave, enroll its batches and send, to the dev outbox or a fake SendGrid
(bench/fake_provider.py). The wave is paced by the shop's own settings of the flow: ``batch_size``
at its maximum, 10,000 shoppers per batch, and ``batch_minutes`` at its minimum, 1 (the merchant
can set no faster wave); the first batch is enrolled by the webhook's processing, the next ones by
the calendar tick (``CALENDAR_INTERVAL_SECONDS`` 5 here, so each falls due within seconds of its
minute).

Measured: enrollments/s, sends/s, seconds from the restock's POST to the last send, and every
worker process's resident memory (the supervisor and each child, psutil) once a second: first,
peak and last, with the verdict "RSS flat" when each process's peak stays within ``--rss-bound``
(1.5) times its first sample. Exactly once: one message per recipient, no contact told twice, one
mail per message at the fake provider.

    .venv/bin/python bench/wave.py [--recipients 100000] [--workers 2] [--channel outbox|sendgrid]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
import psutil  # noqa: E402
import psycopg  # noqa: E402
from redis import Redis  # noqa: E402

from app.core.clock import utcnow  # noqa: E402
from app.core.config import Config  # noqa: E402
from app.db import db  # noqa: E402
from app.db.models import FlowSetting, Shop  # noqa: E402
from app.web.factory import create_app  # noqa: E402
from bench.e2e import bench_env, fake_sendgrid, provider_stats, worker_pool  # noqa: E402
from bench.ingest import OURS, RESULTS, SERVER_PRESETS, bench_database, machine, serve, verdict  # noqa: E402
from webhooks.shopify.verify import sign  # noqa: E402

SECRET = "bench-shopify-secret"
SHOP_DOMAIN = "bench-shop.myshopify.com"
REDIS_DB = 14
FLOW = "back_in_stock"
PRODUCT_ID = "7001"
VARIANT_ID = "8001"
INVENTORY_ITEM_ID = "9001"
LOCATION_ID = 24826418
BATCH_SIZE = 10_000  # the flow's maximum "Shoppers notified per batch"
BATCH_MINUTES = 1  # its minimum "Minutes between batches"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--recipients", type=int, default=100_000, help="shoppers waiting (100,000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument("--channel", choices=("outbox", "sendgrid"), default="outbox")
    parser.add_argument("--rss-bound", type=float, default=1.5, help="peak RSS / first, at most (1.5)")
    parser.add_argument("--deadline", type=int, default=1800, help="seconds to wait for the last send")
    return parser.parse_args()


# --- the shop and its audience ----------------------------------------------------------------------------


def prepare(env: dict[str, str]) -> int:
    """Migrate, install the shop, switch the flow on with the fastest pacing; return the shop id."""
    app = create_app(Config.from_env(env))
    overrides = {"params": {"batch_size": BATCH_SIZE, "batch_minutes": BATCH_MINUTES}}
    with app.app_context():
        flask_migrate.upgrade()
        shop = Shop(
            platform="shopify",
            domain=SHOP_DOMAIN,
            name="Bench",
            currency="EUR",
            storefront_url="https://bench-shop.example",
            installed_at=utcnow(),
        )
        db.session.add(shop)
        db.session.flush()
        db.session.add(FlowSetting(shop_id=shop.id, flow_key=FLOW, enabled=True, overrides=overrides))
        db.session.commit()
        shop_id = shop.id
        db.engine.dispose()
    app.extensions["storeflow"].close()
    return shop_id


def seed(database_url: str, shop_id: int, recipients: int) -> float:
    """The sold-out product and ``recipients`` subscribed shoppers who asked for it; return seconds."""
    started = time.monotonic()
    asked = utcnow() - timedelta(days=3)
    with psycopg.connect(database_url) as conn:
        product = conn.execute(
            "INSERT INTO product (shop_id, platform_id, title, url, collections, source_updated_at,"
            " created_at, updated_at) VALUES (%s, %s, 'Desk lamp', %s, '[]', %s, now(), now())"
            " RETURNING id",
            (shop_id, PRODUCT_ID, "https://bench-shop.example/products/desk-lamp", asked),
        ).fetchone()
        assert product is not None
        conn.execute(
            "INSERT INTO product_variant (shop_id, product_id, platform_id, title, price, currency,"
            " available, levels, inventory_item_id, source_updated_at, updated_at)"
            " VALUES (%s, %s, %s, 'Default Title', 80.00, 'EUR', 0, %s, %s, %s, now())",
            (shop_id, product[0], VARIANT_ID, json.dumps({str(LOCATION_ID): 0}), INVENTORY_ITEM_ID, asked),
        )
        conn.execute(
            "INSERT INTO contact (shop_id, email, first_name, tags, email_consent, email_consent_source,"
            " email_consent_at, created_at, updated_at)"
            " SELECT %s, 'wave-' || n || '@bench.example', 'Shopper ' || n, '[]', 'subscribed',"
            " 'notify_form', %s, %s, %s FROM generate_series(1, %s) AS n",
            (shop_id, asked, asked, asked, recipients),
        )
        conn.execute(
            "INSERT INTO stock_alert (shop_id, contact_id, product_id, variant_id, created_at)"
            " SELECT shop_id, id, %s, %s, %s + id * interval '1 millisecond' FROM contact"
            " WHERE shop_id = %s",
            (PRODUCT_ID, VARIANT_ID, asked, shop_id),
        )
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.monotonic() - started


# --- the restock ---------------------------------------------------------------------------------


def restock(url: str, available: int) -> None:
    """POST Shopify's signed ``inventory_levels/update``: stock arrives at the shop's one location."""
    body = json.dumps(
        {
            "inventory_item_id": int(INVENTORY_ITEM_ID),
            "location_id": LOCATION_ID,
            "available": available,
            "updated_at": utcnow().isoformat(),
            "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{LOCATION_ID}?inventory_item_id=1",
        }
    ).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Topic": "inventory_levels/update",
            "X-Shopify-Shop-Domain": SHOP_DOMAIN,
            "X-Shopify-Event-Id": "bench-restock",
            "X-Shopify-Hmac-Sha256": sign(body, SECRET),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        reply = json.loads(answer.read())
    if answer.status != 200 or reply.get("status") != "stored":
        raise SystemExit(f"the restock webhook was not stored: {answer.status} {reply}")


# --- watching ---------------------------------------------------------------------------------


@dataclass
class Memory:
    """One process's resident memory over the run, in bytes."""

    name: str
    samples: list[int] = field(default_factory=list)

    def add(self, rss: int) -> None:
        self.samples.append(rss)

    def flat(self, bound: float) -> bool:
        return bool(self.samples) and max(self.samples) <= self.samples[0] * bound

    def summary(self) -> dict[str, float]:
        mb = [s / 2**20 for s in self.samples]
        return {"first_mb": round(mb[0], 1), "peak_mb": round(max(mb), 1), "last_mb": round(mb[-1], 1)}


class Watcher:
    """Once a second: every worker process's RSS, and the wave's enrollments and sends so far."""

    def __init__(self, database_url: str, workers: list[Any]) -> None:
        self.database_url = database_url
        self.roots = [psutil.Process(worker.pid) for worker in workers]
        self.memory: dict[int, Memory] = {}
        self.progress: list[tuple[float, int, int]] = []
        self.started = 0.0  # monotonic time of the restock
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    def seen_enrolled(self, total: int) -> tuple[float | None, float | None]:
        """Seconds after ``started`` when the first enrollments, and all of them, were counted."""
        first = next((at for at, enrolled, _ in self.progress if enrolled > 0), None)
        last = next((at for at, enrolled, _ in self.progress if enrolled >= total), None)
        return (
            round(first - self.started, 1) if first is not None else None,
            round(last - self.started, 1) if last is not None else None,
        )

    def latest(self) -> tuple[int, int]:
        return self.progress[-1][1:] if self.progress else (0, 0)

    def _run(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self.stop.wait(1.0):
                self._sample_memory()
                row = conn.execute(
                    "SELECT (SELECT count(*) FROM enrollment WHERE flow_key = %s),"
                    " (SELECT count(*) FROM message WHERE flow_key = %s AND status = 'sent')",
                    (FLOW, FLOW),
                ).fetchone()
                if row:
                    self.progress.append((time.monotonic(), int(row[0]), int(row[1])))

    def _sample_memory(self) -> None:
        for n, root in enumerate(self.roots):
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for process in processes:
                try:
                    rss = process.memory_info().rss
                    name = process.name() if process is not root else "supervisor"
                except psutil.NoSuchProcess:
                    continue
                label = (
                    f"worker {n + 1} {_role(process, root)}"
                    if process is not root
                    else f"worker {n + 1} {name}"
                )
                self.memory.setdefault(process.pid, Memory(label)).add(rss)


def _role(process: psutil.Process, root: psutil.Process) -> str:
    """Name a worker's child by the supervisor's order of starting them (rq-worker, steps, relay)."""
    try:
        children = sorted(root.children(), key=lambda p: p.create_time())
        return ("rq-worker", "steps", "relay")[children.index(process)] + f" (pid {process.pid})"
    except (ValueError, IndexError, psutil.NoSuchProcess):
        return f"pid {process.pid}"


def results(database_url: str, restocked_at: datetime) -> dict[str, Any]:
    """Read the wave's outcome from the database."""
    with psycopg.connect(database_url) as conn:
        enrolled = conn.execute(
            "SELECT count(*), count(DISTINCT contact_id), min(started_at), max(started_at)"
            " FROM enrollment WHERE flow_key = %s",
            (FLOW,),
        ).fetchone()
        sent = conn.execute(
            "SELECT count(*), count(DISTINCT enrollment_id), count(DISTINCT contact_id),"
            " count(*) FILTER (WHERE status = 'sent'), min(sent_at), max(sent_at), min(created_at),"
            " max(created_at)"
            " FROM message WHERE flow_key = %s",
            (FLOW,),
        ).fetchone()
        wave = conn.execute("SELECT batches_sent, finished_at FROM alert_wave").fetchall()
    assert enrolled is not None and sent is not None

    def seconds(at: datetime | None) -> float | None:
        return round((at.replace(tzinfo=UTC) - restocked_at).total_seconds(), 2) if at else None

    return {
        "enrollments": int(enrolled[0]),
        "enrolled_contacts": int(enrolled[1]),
        "first_enrolled_s": seconds(enrolled[2]),
        "last_enrolled_s": seconds(enrolled[3]),
        "messages": int(sent[0]),
        "message_enrollments": int(sent[1]),
        "message_contacts": int(sent[2]),
        "sent": int(sent[3]),
        "first_sent_s": seconds(sent[4]),
        "last_sent_s": seconds(sent[5]),
        "first_message_s": seconds(sent[6]),
        "last_message_s": seconds(sent[7]),
        "waves": [(int(b), f.isoformat() if f else None) for b, f in wave],
    }


def rate(count: int, start: float | None, end: float | None) -> float | None:
    if start is None or end is None or count < 2 or end <= start:
        return None
    return round(count / (end - start), 1)


# --- the run ---------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    facts = machine()
    print(f"machine: {facts['nproc']} x {facts['cpu']}, load average {facts['loadavg']}")
    print(
        f"wave: {args.recipients:,} notify-me signups, the shop's pacing {BATCH_SIZE:,} per batch every"
        f" {BATCH_MINUTES} min; {args.workers} worker process(es); channel {args.channel}"
    )
    redis = Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}")
    redis.flushdb()
    provider = fake_sendgrid() if args.channel == "sendgrid" else nullcontext(None)
    with bench_database() as database_url, provider as sendgrid_url:
        env = {
            **bench_env(database_url, sendgrid_url),
            "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            "CALENDAR_INTERVAL_SECONDS": "5",
        }
        shop_id = prepare(env)
        seeded_s = seed(database_url, shop_id, args.recipients)
        print(f"seeded {args.recipients:,} shoppers with their signups in {seeded_s:.1f} s")
        settings = SERVER_PRESETS["gthread-2x4"].args(16)
        with (
            serve(OURS, settings, env, "/webhooks/shopify", "wave") as server,
            worker_pool(args.workers, env) as workers,
        ):
            time.sleep(3)  # the workers start their children and connect
            with watching(database_url, workers) as watcher:
                time.sleep(2)  # the first RSS samples: the workers idle
                restocked_at = utcnow()
                started = watcher.started = time.monotonic()
                restock(server.url, 500)
                print(f"restocked at {restocked_at:%H:%M:%S} (inventory_levels/update, 500 units)")
                finished = wait_for_sends(watcher, args.recipients, started + args.deadline)
                time.sleep(2)  # a few samples after the last send
        outcome = results(database_url, restocked_at)
        stats = provider_stats(sendgrid_url) if sendgrid_url else None
    redis.flushdb()
    report(args, facts, outcome, watcher, stats, finished)


@contextmanager
def watching(database_url: str, workers: list[Any]) -> Iterator[Watcher]:
    watcher = Watcher(database_url, workers)
    watcher.start()
    try:
        yield watcher
    finally:
        watcher.close()


def wait_for_sends(watcher: Watcher, recipients: int, deadline: float) -> bool:
    """Print progress every 10 s until every recipient's message is sent or the deadline passes."""
    last_print = time.monotonic()
    while time.monotonic() < deadline:
        enrolled, sent = watcher.latest()
        if sent >= recipients:
            return True
        if time.monotonic() - last_print >= 10:
            print(f"  {time.strftime('%H:%M:%S')}: {enrolled:,} enrolled, {sent:,} sent")
            last_print = time.monotonic()
        time.sleep(0.5)
    print(f"  deadline passed: {watcher.latest()[1]:,} of {recipients:,} sent")
    return False


def report(
    args: argparse.Namespace,
    facts: dict[str, Any],
    outcome: dict[str, Any],
    watcher: Watcher,
    stats: dict[str, Any] | None,
    finished: bool,
) -> None:
    n = args.recipients
    # Enrollments commit in one transaction per batch (their started_at is the batch's clock), so
    # when they became visible is read from the watcher's once-a-second counts.
    first_seen, all_seen = watcher.seen_enrolled(n)
    enroll_rate = rate(outcome["enrollments"], 0.0, all_seen) if all_seen else None
    outcome["enrolled_first_seen_s"], outcome["enrolled_all_seen_s"] = first_seen, all_seen
    send_rate = rate(outcome["sent"], outcome["first_sent_s"], outcome["last_sent_s"])
    print(
        f"\nenrolled {outcome['enrollments']:,}: the first seen {first_seen} s, all {all_seen} s after the"
        f" restock: {enroll_rate} enrollments/s (the wave's pacing allows {BATCH_SIZE:,} a minute)"
    )
    print(
        f"sent {outcome['sent']:,} from {outcome['first_sent_s']} s to {outcome['last_sent_s']} s:"
        f" {send_rate} sends/s; restock to last send {outcome['last_sent_s']} s; wave {outcome['waves']}"
    )
    print("worker RSS (MB, sampled every second): first / peak / last")
    flat = True
    memory = {}
    for item in sorted(watcher.memory.values(), key=lambda m: m.name):
        summary = item.summary()
        memory[item.name] = {**summary, "samples": len(item.samples)}
        ok = item.flat(args.rss_bound)
        flat = flat and ok
        print(
            f"  {item.name:<32} {summary['first_mb']:7.1f} / {summary['peak_mb']:7.1f} /"
            f" {summary['last_mb']:7.1f}  ({len(item.samples)} samples){'' if ok else '  grew'}"
        )
    once = (
        outcome["messages"] == outcome["message_enrollments"] == outcome["message_contacts"] == n
        and outcome["enrollments"] == outcome["enrolled_contacts"] == n
    )
    if stats is not None:
        once = once and stats["accepted"] == stats["references"] == n and not stats.get("duplicates")
    mails = (
        f"; fake SendGrid accepted {stats['accepted']:,} mails for {stats['references']:,} messages"
        if stats
        else ""
    )
    checks = [
        (
            f"every recipient sent to within the deadline: {outcome['sent']:,}/{n:,}",
            finished and outcome["sent"] == n,
        ),
        (f"RSS flat: every worker process's peak <= {args.rss_bound} x its first sample", flat),
        (
            f"exactly once: {outcome['messages']:,} messages for {outcome['message_contacts']:,} contacts and"
            f" {outcome['enrollments']:,} enrollments{mails}",
            once,
        ),
    ]
    for text, passed in checks:
        print(f"{verdict(passed)}  {text}")
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": facts,
        "settings": {**vars(args), "batch_size": BATCH_SIZE, "batch_minutes": BATCH_MINUTES},
        "enrollments_per_s": enroll_rate,
        "sends_per_s": send_rate,
        "restock_to_last_send_s": outcome["last_sent_s"],
        "outcome": outcome,
        "rss": memory,
        "rss_flat": flat,
        "exactly_once": once,
        "provider": stats,
    }
    (RESULTS / "wave.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(
        "RESULT "
        + json.dumps({k: v for k, v in result.items() if k not in ("machine", "outcome")}, default=str)
    )
    if not all(passed for _, passed in checks):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
