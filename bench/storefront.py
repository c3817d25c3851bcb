"""Storefront events benchmark: POST /storefront/events against a bare Flask endpoint, same run.

Same method as bench/ingest.py, whose helpers it uses: both apps under gunicorn with identical
settings on loopback ports, loaded alternately (bare, ours, bare, ours) by wrk at fixed concurrency.
Every request is a product view from a new visitor, from the shop's storefront origin, so each one
goes through the whole path: key lookup (cached), origin check, validation, and the Redis script
that counts the visitor and the shop and queues the post. The limits are raised so nothing is
refused: the limiter's work is measured, not its refusals. No worker runs: after each run the
queued posts are counted against the 202s, then cleared. Needs wrk, PostgreSQL and Redis on
127.0.0.1 (Redis database 12, which this script clears of Storeflow's keys).

    .venv/bin/python bench/storefront.py [--duration 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402

from app.core.clock import utcnow  # noqa: E402
from app.core.config import Config  # noqa: E402
from app.db import db  # noqa: E402
from app.db.models import Shop  # noqa: E402
from app.storefront.buffer import QUEUE_KEY  # noqa: E402
from app.web.factory import create_app  # noqa: E402
from bench.ingest import (  # noqa: E402
    BARE,
    DEFAULT_PRESET,
    OURS,
    P99_TARGET,
    RESULTS,
    SERVER_PRESETS,
    LoadResult,
    app_env,
    bench_database,
    durability,
    machine,
    measure,
    print_table,
    serve,
    summarize,
    verdict,
    write_results,
)

BENCH = ROOT / "bench"
ENDPOINT = "/storefront/events"
STOREFRONT = "https://bench-shop.example"
STOREFRONT_KEY = "bench-storefront-key-0123456789"
REDIS_URL = "redis://127.0.0.1:6379/12"
NO_LIMIT = "1000000000"
THROUGHPUT_TARGET = 0.5  # ours / bare requests per second, at least (as for webhooks)


@dataclass
class StorefrontLoad:
    """wrk with bench/storefront.lua; after each run, counts the posts queued in Redis and clears them."""

    connections: int
    redis: Redis
    queued: dict[str, list[int]] = field(default_factory=dict)

    def run(self, url: str, seconds: int) -> LoadResult:
        """Send product views from new visitors to the URL for the given seconds."""
        command = ["wrk", "-t1", f"-c{self.connections}", f"-d{seconds}s", "--timeout", "10s"]
        command += ["-s", str(BENCH / "storefront.lua"), url, "--", STOREFRONT, secrets.token_hex(8)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
        self.queued.setdefault(url, []).append(int(self.redis.llen(QUEUE_KEY)))
        clear(self.redis)
        return LoadResult(**json.loads(lines[-1].removeprefix("RESULT ")))

    def describe(self) -> str:
        """Name the load generator and its settings."""
        return f"wrk -t1 -c{self.connections} (bench/storefront.lua)"


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per run (10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (16)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first (2)")
    parser.add_argument("--rounds", type=int, default=2, help="bare/ours alternations (2)")
    parser.add_argument("--server", choices=SERVER_PRESETS, default=DEFAULT_PRESET)
    return parser.parse_args()


def clear(redis: Redis) -> None:
    """Remove Storeflow's queue and rate-limit counters from the benchmark's Redis database."""
    redis.delete(QUEUE_KEY)
    for key in redis.scan_iter("storeflow:rl:*", count=1000):
        redis.delete(key)


def storefront_env(database_url: str) -> dict[str, str]:
    """Return ingest's environment with the storefront limits raised out of the way."""
    return {
        **app_env(database_url),
        "REDIS_URL": REDIS_URL,
        "STOREFRONT_VISITOR_EVENTS_PER_MINUTE": NO_LIMIT,
        "STOREFRONT_SHOP_EVENTS_PER_MINUTE": NO_LIMIT,
    }


def prepare_database(env: dict[str, str]) -> None:
    """Run the migrations and add the installed shop whose storefront sends the events."""
    app = create_app(Config.from_env(env))
    with app.app_context():
        flask_migrate.upgrade()
        db.session.add(
            Shop(
                platform="shopify",
                domain="bench-shop.myshopify.com",
                name="Bench",
                storefront_url=STOREFRONT,
                storefront_key=STOREFRONT_KEY,
                installed_at=utcnow(),
            )
        )
        db.session.commit()
        db.engine.dispose()


def report(summary: dict[str, dict[str, float]], check: dict[str, int | bool]) -> dict[str, float | bool]:
    """Print the table, the ratios and the queue check; return the ratios."""
    print_table(summary)
    bare, ours = summary[BARE.name], summary[OURS.name]
    ratios: dict[str, float | bool] = {
        "rps": ours["rps"] / bare["rps"],
        "p50": ours["p50_ms"] / bare["p50_ms"],
        "p99": ours["p99_ms"] / bare["p99_ms"],
        "cpu_per_request": ours["cpu_ms_per_request"] / bare["cpu_ms_per_request"],
    }
    ratios["rps_pass"] = ratios["rps"] >= THROUGHPUT_TARGET
    ratios["p99_pass"] = ratios["p99"] < P99_TARGET
    print(
        f"\nthroughput  storeflow/bare = {ratios['rps']:.2f}"
        f"  (target >= {THROUGHPUT_TARGET:.2f})  {verdict(bool(ratios['rps_pass']))}"
    )
    print(f"p50 latency storeflow/bare = {ratios['p50']:.2f}x")
    print(
        f"p99 latency storeflow/bare = {ratios['p99']:.2f}x"
        f" (target < {P99_TARGET:.0f}x)     {verdict(bool(ratios['p99_pass']))}"
    )
    print(
        f"worker CPU  storeflow/bare = {ratios['cpu_per_request']:.2f}x per request"
        " (no target; Redis's own CPU comes on top for storeflow)"
    )
    print(
        f"queued      {check['rows']} posts in Redis vs {check['ok_200']} answers 202"
        f" ({check['stored_200']} said accepted), {check['unanswered']} cut off in flight"
        f" -> {verdict(bool(check['passed']))}"
    )
    return ratios


def main() -> None:
    """Set up, load both apps alternately, check every 202 was queued, print and save the figures."""
    args = parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    RESULTS.mkdir(parents=True, exist_ok=True)
    facts = machine()
    settings = SERVER_PRESETS[args.server].args(args.connections)
    redis = Redis.from_url(REDIS_URL)
    clear(redis)
    load = StorefrontLoad(args.connections, redis)
    print(f"machine: {facts['nproc']} x {facts['cpu']}, load average {facts['loadavg']}")
    print(f"server:  gunicorn {' '.join(settings)} (both apps), 127.0.0.1 only")
    print(f"load:    {load.describe()}, {args.warmup} s warm-up + {args.duration} s per run")
    print(f"redis:   {REDIS_URL} (no worker: posts are counted and cleared after each run)\n")
    with bench_database() as database_url:
        env = storefront_env(database_url)
        prepare_database(env)
        with ExitStack() as stack:
            servers = {
                target.name: stack.enter_context(
                    serve(
                        target,
                        settings,
                        env,
                        endpoint=f"{ENDPOINT}?k={STOREFRONT_KEY}",
                        log_prefix="storefront",
                    )
                )
                for target in (BARE, OURS)
            }
            runs = measure(load, servers, args)  # type: ignore[arg-type]
    clear(redis)
    ours_runs = runs[OURS.name] + runs[f"{OURS.name}/warmup"]
    check = durability(ours_runs, sum(load.queued[servers[OURS.name].url]))
    summary = {name: summarize(runs[name]) for name in servers}
    ratios = report(summary, check)
    settings_used = {
        "server": f"gunicorn {' '.join(settings)}",
        "load": load.describe(),
        "connections": args.connections,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
    }
    write_results("storefront", facts, settings_used, summary, runs, ratios, "queued", check)


if __name__ == "__main__":
    main()
