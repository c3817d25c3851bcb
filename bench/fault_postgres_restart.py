"""Fault scenario: PostgreSQL restarts while webhooks arrive and reminders are being sent.

Storeflow (gunicorn, ``--workers`` worker processes, the fake SendGrid) takes checkouts at
``--rate`` per second; a few seconds in, its PostgreSQL is restarted (``pg_ctl restart -m fast``,
which ends every session). Requests during the restart must fail cleanly, with a 503 the platform
retries, never a 500 or a 4xx; each checkout that was refused is then delivered again, as Shopify
would. At the end every checkout must be stored once, processed, enrolled and reminded exactly
once: nothing half-written, nothing lost, nothing sent twice.

The PostgreSQL restarted is the scenario's own (bench/private_postgres.py: initdb into a temporary
directory, a free loopback port), never the machine's shared cluster, so it is safe to run next to
other test runs and in CI. Redis is the shared one, database 12 (flushed before and after).

    .venv/bin/python bench/fault_postgres_restart.py [--checkouts 1500] [--rate 100]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402

from bench.e2e import REDIS_URL, bench_env, fake_sendgrid, prepare, provider_stats, worker_pool  # noqa: E402
from bench.ingest import OURS, RESULTS, SERVER_PRESETS, serve  # noqa: E402
from bench.private_postgres import PrivatePostgres, private_postgres  # noqa: E402
from bench.scenario import Poster, checkouts, counts, eventually, verdict_line  # noqa: E402

PREFIX = "pg-restart"
CLEAN = {"200 stored", "200 duplicate", "503"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=1500)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--restart-after", type=float, default=5.0, help="seconds into the load (5)")
    parser.add_argument("--delay", type=int, default=5, help="seconds from checkout to reminder (5)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    lines: list[str] = []
    with private_postgres() as postgres, fake_sendgrid() as sendgrid:
        print(f"private PostgreSQL on 127.0.0.1:{postgres.port} ({postgres.home})")
        env = bench_env(postgres.database_url, sendgrid)
        prepare(env, args.delay)
        settings = SERVER_PRESETS["gthread-2x4"].args(16)
        with (
            serve(OURS, settings, env, "/webhooks/shopify", "fault-pg") as server,
            worker_pool(args.workers, env),
        ):
            time.sleep(3)
            lines += run(server.url, postgres, sendgrid, args)
    redis.flushdb()
    print("\n".join(lines))
    if not all(line.startswith("PASS") for line in lines):
        raise SystemExit(1)


def run(url: str, postgres: PrivatePostgres, sendgrid: str, args: argparse.Namespace) -> list[str]:
    database_url = postgres.database_url
    poster = Poster(url, attempts=1)
    planned = checkouts(PREFIX, args.checkouts)
    answers: dict[str, str] = {}
    restart: dict[str, float] = {}

    def restarter() -> None:
        time.sleep(args.restart_after)
        print(f"restarting PostgreSQL {args.restart_after:.0f} s into the load")
        restart["seconds"] = postgres.restart()

    thread = threading.Thread(target=restarter)
    thread.start()
    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        futures = {}
        for n, checkout in enumerate(planned):
            wait = started + n / args.rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            futures[checkout.token] = pool.submit(poster.post, checkout, n)
        answers = {token: future.result() for token, future in futures.items()}
    thread.join()
    first_answers = dict(poster.answers)
    unclean = {answer: n for answer, n in first_answers.items() if answer not in CLEAN}
    refused = [c for c in planned if answers[c.token] not in ("200 stored", "200 duplicate")]
    stored_then = counts(database_url, PREFIX).events
    acknowledged = sum(1 for a in answers.values() if a.startswith("200"))
    lines = [
        verdict_line(
            "requests during the restart fail cleanly",
            not unclean and stored_then >= acknowledged,
            f"restart took {restart.get('seconds', 0):.1f} s; answers {first_answers}; "
            f"{acknowledged} acknowledged, {stored_then} rows (every 200 has its row)",
        )
    ]
    # the platform retries what was refused
    for attempt in range(10):
        if not refused:
            break
        time.sleep(2)
        retry = Poster(url, attempts=1)
        refused = [c for n, c in enumerate(refused) if not retry.post(c, planned.index(c)).startswith("200")]
        print(f"retry round {attempt + 1}: {len(refused)} still refused")
    done = eventually(lambda: counts(database_url, PREFIX).sent >= args.checkouts, 240)
    final = counts(database_url, PREFIX)
    stats = provider_stats(sendgrid)
    whole = final.events == final.processed == final.checkouts == final.enrollments == args.checkouts
    once = final.messages == final.sent == args.checkouts and stats["accepted"] == stats["references"]
    lines.append(
        verdict_line(
            "nothing half-written, lost or sent twice",
            done and whole and once and stats["accepted"] == args.checkouts,
            f"{final.events} events, {final.processed} processed, {final.checkouts} checkouts, "
            f"{final.enrollments} enrollments, {final.sent} reminders sent, {stats['accepted']} mails "
            f"for {stats['references']} messages, duplicates {stats['duplicates'] or 'none'}",
        )
    )
    return lines


if __name__ == "__main__":
    main()
