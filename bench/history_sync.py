"""History sync: 100,000 Shopify orders from a bulk operation's JSONL file, at the HTTP boundary.

A JSONL file shaped like Shopify's documented bulk output (an order line and its line item's line,
``__parentId`` naming the order; ``--orders`` orders, ``--shoppers`` customers, their contacts
created by the orders as a real history would) is written to disk and served over HTTP from
127.0.0.1 (tests/support/shopify_bulk.py); the Admin GraphQL calls (``bulkOperationRunQuery``,
``node(id:)``) are answered in process by respx. The real job (``run_history_sync``) syncs it into
a fresh PostgreSQL database, page by page, as a worker would. Printed: orders/s over the orders
file, the pages' commits, the process's peak RSS before and after the sync (the file is streamed,
so the peak should not grow with the file), and a check that every order is stored once.

    BENCH_REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/history_sync.py [--orders 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
import respx  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from app.core.clock import ManualClock, utcnow  # noqa: E402
from app.core.config import Config  # noqa: E402
from app.db import db  # noqa: E402
from app.db.models import Contact, HistorySyncState, Message, Order, Shop  # noqa: E402
from app.jobs.history import run_history_sync  # noqa: E402
from app.sync.state import Progress  # noqa: E402
from app.web.factory import create_app  # noqa: E402
from bench.ingest import app_env, bench_database  # noqa: E402
from tests.support.shopify import SHOP_DOMAIN  # noqa: E402
from tests.support.shopify_bulk import bulk_api, order_rows  # noqa: E402


def write_history(path: Path, orders: int, shoppers: int) -> int:
    """Write the orders file line by line; return its size in bytes."""
    start = utcnow().timestamp() - 3 * 365 * 86400
    with path.open("wb") as out:
        for number in range(orders):
            created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + number * 900))
            for row in order_rows(number, number % shoppers, created):
                out.write(json.dumps(row, separators=(",", ":")).encode() + b"\n")
    return path.stat().st_size


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--shoppers", type=int, default=25_000)
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"))
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    redis = Redis.from_url(args.redis)
    redis.flushdb()
    clock = ManualClock(utcnow())
    with tempfile.TemporaryDirectory() as tmp, bench_database() as database_url:
        history = Path(tmp) / "orders.jsonl"
        size = write_history(history, args.orders, args.shoppers)
        print(f"orders file: {args.orders} orders, {size / 1e6:.1f} MB")
        env = {**app_env(database_url), "REDIS_URL": args.redis, "LOG_LEVEL": "WARNING"}
        app = create_app(Config.from_env(env), clock=clock)
        services = app.extensions["storeflow"]
        with app.app_context():
            flask_migrate.upgrade()
            shop = Shop(
                platform="shopify",
                domain=SHOP_DOMAIN,
                name="Bench",
                installed_at=clock.now(),
                scopes="read_orders,read_all_orders,read_customers,read_products",
                access_token_enc=services.cipher.encrypt("shpat_bench"),
            )
            db.session.add(shop)
            db.session.commit()
            shop_id = shop.id
        pages: list[float] = []
        with respx.mock(assert_all_called=False) as router, bulk_api(router) as bulk:
            bulk.results = {"orders": history}
            for _ in range(3):  # customers and products: nothing to read; then the orders' operation
                with app.app_context():
                    run_history_sync(shop_id)
                bulk.finish_all()
            rss_before = peak_rss_mb()
            started = time.perf_counter()
            with app.app_context():
                outcome = run_history_sync(shop_id, lambda progress: _page(progress, pages, started))
            elapsed = time.perf_counter() - started
        rss_after = peak_rss_mb()
        with app.app_context():
            stored = db.session.scalar(select(func.count(Order.id)))
            distinct = db.session.scalar(select(func.count(func.distinct(Order.platform_id))))
            contacts = db.session.scalar(select(func.count(Contact.id)))
            messages = db.session.scalar(select(func.count(Message.id)))
            state = db.session.scalars(select(HistorySyncState).filter_by(resource="orders")).one()
            state_line = (state.status, state.done, state.total, state.errors)
            db.engine.dispose()
        services.close()
    rate = args.orders / elapsed
    ok = outcome == "done" and stored == distinct == args.orders and messages == 0
    print(f"sync: {outcome} in {elapsed:.1f} s, {len(pages)} pages, {rate:.0f} orders/s")
    print(f"stored: {stored} orders ({distinct} distinct), {contacts} contacts, {messages} messages")
    print(f"orders state: {state_line}")
    print(f"peak RSS: {rss_before:.0f} MB before the orders file, {rss_after:.0f} MB after")
    result = {
        "orders": args.orders,
        "seconds": round(elapsed, 1),
        "orders_per_s": round(rate),
        "peak_rss_mb_before": round(rss_before),
        "peak_rss_mb_after": round(rss_after),
        "exactly_once": ok,
    }
    print("RESULT " + json.dumps(result))
    sys.exit(0 if ok else 1)


def _page(progress: Progress, pages: list[float], started: float) -> None:
    pages.append(time.perf_counter() - started)
    if len(pages) % 20 == 0:
        print(f"  {progress.done} orders after {pages[-1]:.1f} s")


if __name__ == "__main__":
    main()
