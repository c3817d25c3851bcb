"""Fault scenario: Redis goes down while reminders fall due and webhooks arrive, and comes back.

A private ``redis-server`` (its own port, no persistence, started and stopped by this script; the
shared Redis is never touched) serves a Storeflow under gunicorn and ``--workers`` workers, which
send to the fake SendGrid (bench/fake_provider.py). Reminders go out in batches, so both groups of
checkouts have all their reminders fall due at one instant, more than one batch's worth:

1. ``--due-in-outage`` checkouts (300) are taken in and enrolled while Redis is up, their reminders
   due just after Redis stops: the step executors, which need only PostgreSQL (the enrollment row
   is the schedule; a lost wake-up costs a poll), must send every one during the outage;
2. ``--checkouts`` more (500) are POSTed while Redis is down: every one must be acknowledged (200)
   and stored. Redis comes back empty (nothing was on disk, as after a restart without
   persistence): the relay must hand every stored webhook out again, every shopper be enrolled,
   and all their reminders, due at one instant after that, be sent.

Every reminder of both groups must reach SendGrid exactly once: 0 lost, 0 duplicate.

    .venv/bin/python bench/fault_redis_down.py [--checkouts 500] [--due-in-outage 300] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.clock import utcnow  # noqa: E402
from bench.e2e import bench_env, fake_sendgrid, post_burst, prepare, provider_stats, worker_pool  # noqa: E402
from bench.ingest import OURS, RESULTS, SERVER_PRESETS, bench_database, machine, serve  # noqa: E402
from bench.scenario import Delivered, Poster, counts, due_at_once, eventually, report, verdict_line  # noqa: E402
from tests.support.private_redis import private_redis  # noqa: E402

BEFORE = "redis-due"  # enrolled before the outage, due during it
DURING = "redis-down"  # posted during the outage
DELAY = 5  # seconds from a checkout to its reminder (the checkouts are dated so all fall due at once)
PROCESSING_PER_S = 10  # a cautious guess of webhooks a worker processes per second, for the due times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=500, help="posted while Redis is down (500)")
    parser.add_argument("--due-in-outage", type=int, default=300, help="enrolled before, due during (300)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    facts = machine()
    print(f"machine: {facts['nproc']} x {facts['cpu']}, load average {facts['loadavg']}")
    lines: list[str] = []
    before, during = args.due_in_outage, args.checkouts
    with private_redis() as redis, bench_database() as database_url, fake_sendgrid() as sendgrid:
        env = {**bench_env(database_url, sendgrid), "REDIS_URL": redis.url}
        prepare(env, DELAY)
        settings = SERVER_PRESETS["gthread-2x4"].args(16)
        with (
            serve(OURS, settings, env, "/webhooks/shopify", "fault-redis") as server,
            worker_pool(args.workers, env) as pool,
        ):
            time.sleep(3)
            rate = PROCESSING_PER_S * args.workers
            due = utcnow() + timedelta(seconds=15 + before / rate)
            post_burst(Poster(server.url), due_at_once(BEFORE, before, due, DELAY), offset=0)
            enrolled = eventually(lambda: counts(database_url, BEFORE).enrollments >= before, 300)
            early = utcnow() < due - timedelta(seconds=2)
            time.sleep(max((due - utcnow()).total_seconds() - 2, 0))
            redis.stop()
            state = "before" if early else "NOT before"
            print(f"{before} enrolled ({state} due); redis stopped 2 s before due")
            sent_in_outage = eventually(lambda: counts(database_url, BEFORE).sent >= before, 120)
            first = Delivered.of(provider_stats(sendgrid), before)
            lines.append(
                verdict_line(
                    "reminders due during the outage sent during it, exactly once",
                    enrolled and early and sent_in_outage and first.exactly_once,
                    f"{counts(database_url, BEFORE).sent}/{before} due at once, sent with Redis down: "
                    f"{first.describe()}",
                )
            )
            print(f"posting {during} checkouts with Redis down")
            due_after = utcnow() + timedelta(seconds=25 + during / rate)
            poster = Poster(server.url, attempts=1)
            post_burst(poster, due_at_once(DURING, during, due_after, DELAY), offset=before)
            stored = counts(database_url, DURING)
            acknowledged = poster.answers["200 stored"]
            lines.append(
                verdict_line(
                    "acknowledged and stored while Redis is down",
                    acknowledged == during == stored.events and stored.processed == 0,
                    f"{acknowledged}/{during} answered 200 stored, {stored.events} rows, "
                    f"{stored.processed} processed, answers {dict(poster.answers)}",
                ),
            )
            time.sleep(5)  # the relay keeps failing (and retrying) meanwhile
            alive = [worker.poll() is None for worker in pool]
            redis.start()
            print(f"redis back (empty); worker processes alive through the outage: {alive}")
            enrolled_after = eventually(lambda: counts(database_url, DURING).enrollments >= during, 300)
            in_time = utcnow() < due_after
            print(f"{during} enrolled after Redis returned ({'before' if in_time else 'NOT before'} due)")
            done = eventually(lambda: counts(database_url, DURING).sent >= during, 180)
            time.sleep(2)  # anything sent twice has arrived
            final = counts(database_url, DURING)
        delivered = Delivered.of(provider_stats(sendgrid), before + during)
        once = (
            enrolled_after
            and final.processed == final.checkouts == final.enrollments == final.messages == during
            and delivered.exactly_once
        )
        lines.append(
            verdict_line(
                "processed after Redis returns, reminded exactly once",
                done and once,
                f"{final.processed} processed, {final.enrollments} enrollments, {final.sent} sent "
                f"(due at once, all enrolled before due: {in_time}); all {before + during} reminders: "
                f"{delivered.describe()}",
            )
        )
    result = {
        "bench": "fault_redis_down",
        "due_in_outage": before,
        "posted_in_outage": during,
        "workers": args.workers,
        "lost": delivered.lost,
        "duplicate": delivered.duplicated,
        "accepted": delivered.accepted,
        "passed": all(line.startswith("PASS") for line in lines),
        "loadavg_start": facts["loadavg"],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
    }
    report(lines, result)


if __name__ == "__main__":
    main()
