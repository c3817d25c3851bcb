"""Fault scenario: Redis goes down while webhooks arrive, and comes back.

A private ``redis-server`` (its own port, no persistence, started and stopped by this script; the
shared Redis is never touched) serves a Storeflow under gunicorn and one worker. With Redis
stopped, checkouts are POSTed: every one must be acknowledged (200) and stored. Redis comes back
empty (nothing was on disk, as after a restart without persistence): the relay must hand every
stored webhook out again, and every shopper must be enrolled and reminded exactly once.

    .venv/bin/python bench/fault_redis_down.py [--checkouts 500]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.e2e import bench_env, fake_sendgrid, post_burst, prepare, provider_stats, worker_pool  # noqa: E402
from bench.ingest import OURS, RESULTS, SERVER_PRESETS, bench_database, serve  # noqa: E402
from bench.scenario import Poster, checkouts, counts, eventually, verdict_line  # noqa: E402
from tests.support.private_redis import private_redis  # noqa: E402

PREFIX = "redis-down"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=500)
    parser.add_argument("--delay", type=int, default=5, help="seconds from checkout to reminder (5)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    with private_redis() as redis, bench_database() as database_url, fake_sendgrid() as sendgrid:
        env = {**bench_env(database_url, sendgrid), "REDIS_URL": redis.url}
        prepare(env, args.delay)
        settings = SERVER_PRESETS["gthread-2x4"].args(16)
        with (
            serve(OURS, settings, env, "/webhooks/shopify", "fault-redis") as server,
            worker_pool(1, env) as pool,
        ):
            time.sleep(3)
            redis.stop()
            print(f"redis stopped; posting {args.checkouts} checkouts")
            poster = Poster(server.url, attempts=1)
            post_burst(poster, checkouts(PREFIX, args.checkouts), offset=0)
            stored = counts(database_url, PREFIX)
            acknowledged = poster.answers["200 stored"]
            lines.append(
                verdict_line(
                    "acknowledged and stored while Redis is down",
                    acknowledged == args.checkouts == stored.events and stored.processed == 0,
                    f"{acknowledged}/{args.checkouts} answered 200 stored, {stored.events} rows, "
                    f"{stored.processed} processed, answers {dict(poster.answers)}",
                ),
            )
            time.sleep(5)  # the relay keeps failing (and retrying) meanwhile
            alive = [worker.poll() is None for worker in pool]
            redis.start()
            print(f"redis back (empty); worker processes alive through the outage: {alive}")
            done = eventually(lambda: counts(database_url, PREFIX).sent >= args.checkouts, 180)
            final = counts(database_url, PREFIX)
        stats = provider_stats(sendgrid)
        once = (
            final.processed == final.checkouts == final.enrollments == final.messages == args.checkouts
            and stats["accepted"] == stats["references"] == args.checkouts
        )
        lines.append(
            verdict_line(
                "processed after Redis returns, exactly once",
                done and once,
                f"{final.processed} processed, {final.enrollments} enrollments, {final.sent} sent, "
                f"{stats['accepted']} mails accepted for {stats['references']} messages, "
                f"duplicates {stats['duplicates'] or 'none'}",
            )
        )
    print("\n".join(lines))
    if not all(line.startswith("PASS") for line in lines):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
