"""Fault scenario: PostgreSQL restarts while batches of reminders are being sent and webhooks arrive.

Storeflow (gunicorn, ``--workers`` worker processes, the fake SendGrid answering each send after
``--provider-delay`` ms) sends reminders in batches, so both groups of checkouts have all their
reminders fall due at one instant, more than one batch's worth:

1. ``--due-at-restart`` checkouts (500) are taken in and enrolled first, their reminders all due
   at one instant; PostgreSQL is restarted (``pg_ctl restart -m fast``, which ends every session)
   as soon as the workers' first batches have calls in flight at SendGrid. A batch whose answers
   could not be committed leaves its messages ``sending`` and its enrollments leased; once the
   lease is over (``--lease``, as in bench/fault_worker_kill.py: ``expire`` stops the workers and
   moves the leases ``STEP_LEASE`` into the past, ``wait`` waits the 10 minutes) they are settled
   by asking SendGrid's Email Activity before any resend;
2. ``--checkouts`` (1500) arrive at ``--rate`` per second (100) from 2 s before the first group's
   due time, so around the restart, dated so that
   their reminders all fall due at one instant after the load. Requests during the restart must
   fail cleanly, with a 503 the platform retries, never a 500 or a 4xx; each checkout that was
   refused is then delivered again, as Shopify would.

At the end every checkout must be stored once, processed, enrolled, and every reminder of both
groups accepted by SendGrid exactly once: nothing half-written, 0 lost, 0 duplicate.

The PostgreSQL restarted is the scenario's own (bench/private_postgres.py: initdb into a temporary
directory, a free loopback port), never the machine's shared cluster, so it is safe to run next to
other test runs and in CI. Redis is the shared one, database 12 unless ``BENCH_REDIS_URL`` says
otherwise (flushed before and after).

    .venv/bin/python bench/fault_postgres_restart.py [--checkouts 1500] [--rate 100] [--lease expire|wait]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402

from app.core.clock import utcnow  # noqa: E402
from bench.e2e import (  # noqa: E402
    REDIS_URL,
    bench_env,
    fake_sendgrid,
    post_burst,
    prepare,
    provider_stats,
    start_worker,
    stop_workers,
)
from bench.ingest import OURS, RESULTS, SERVER_PRESETS, machine, serve  # noqa: E402
from bench.private_postgres import PrivatePostgres, private_postgres  # noqa: E402
from bench.scenario import (  # noqa: E402
    Delivered,
    Poster,
    counts,
    due_at_once,
    eventually,
    expire_leases,
    report,
    sending_left,
    settle_down,
    settled_by_lookup,
    still_leased,
    verdict_line,
)
from flows.runner import STEP_LEASE  # noqa: E402

PREFIX = "pg-restart"  # arriving around the restart
DUE = "pg-due"  # enrolled first, due at the restart
CLEAN = {"200 stored", "200 duplicate", "503"}
DELAY = 5  # seconds from a checkout to its reminder (the checkouts are dated so all fall due at once)
PROCESSING_PER_S = 8  # a cautious guess of webhooks a worker processes per second, for the due times
LOAD_LEAD = 2.0  # seconds the load starts before the first group falls due
CALLS_IN_FLIGHT = 8  # SendGrid calls in flight that tell a batch is being sent: restart then


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=1500)
    parser.add_argument("--due-at-restart", type=int, default=500)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--provider-delay", type=float, default=200, help="ms to each SendGrid answer (200)")
    parser.add_argument("--lease", choices=("expire", "wait"), default="expire")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    facts = machine()
    print(f"machine: {facts['nproc']} x {facts['cpu']}, load average {facts['loadavg']}")
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    with private_postgres() as postgres, fake_sendgrid(args.provider_delay) as sendgrid:
        print(f"private PostgreSQL on 127.0.0.1:{postgres.port} ({postgres.home})")
        env = bench_env(postgres.database_url, sendgrid)
        prepare(env, DELAY)
        settings = SERVER_PRESETS["gthread-2x4"].args(16)
        log = (RESULTS / "fault-pg-workers.log").open("ab")
        workers = [start_worker(env, log) for _ in range(args.workers)]
        try:
            with serve(OURS, settings, env, "/webhooks/shopify", "fault-pg") as server:
                time.sleep(3)
                lines, result = run(server.url, postgres, sendgrid, env, log, workers, args)
        finally:
            stop_workers(workers)
            log.close()
    redis.flushdb()
    result["loadavg_start"] = facts["loadavg"]
    result["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    report(lines, result)


def run(
    url: str,
    postgres: PrivatePostgres,
    sendgrid: str,
    env: dict[str, str],
    log: Any,
    workers: list[subprocess.Popen[bytes]],
    args: argparse.Namespace,
) -> tuple[list[str], dict[str, Any]]:
    database_url = postgres.database_url
    first = args.due_at_restart
    rate = PROCESSING_PER_S * args.workers
    due = utcnow() + timedelta(seconds=15 + first / rate)
    post_burst(Poster(url), due_at_once(DUE, first, due, DELAY), offset=10_000_000)
    enrolled = eventually(lambda: counts(database_url, DUE).enrollments >= first, 300)
    early = enrolled and utcnow() < due
    print(
        f"{first} enrolled ({'before' if early else 'NOT before'} due); the restart comes with their batches"
    )
    time.sleep(max((due - utcnow()).total_seconds() - LOAD_LEAD, 0))

    load_seconds = args.checkouts / args.rate
    due_after = utcnow() + timedelta(seconds=load_seconds + 20 + args.checkouts / rate)
    planned = due_at_once(PREFIX, args.checkouts, due_after, DELAY)
    poster = Poster(url, attempts=1)
    restart: dict[str, Any] = {}
    thread = threading.Thread(target=restarter, args=(postgres, due, sendgrid, restart))
    thread.start()
    answers = post_paced(poster, planned, args.rate)
    thread.join()
    first_answers = dict(poster.answers)
    unclean = {answer: n for answer, n in first_answers.items() if answer not in CLEAN}
    refused = [c for c in planned if answers[c.token] not in ("200 stored", "200 duplicate")]
    stored_then = counts(database_url, PREFIX).events
    acknowledged = sum(1 for a in answers.values() if a.startswith("200"))
    print(
        f"restarted PostgreSQL with {restart.get('in_flight', 0)} SendGrid calls in flight, "
        f"{restart.get('sent_before', 0)}/{first} mails of the first group accepted before"
    )
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
        refused = [c for c in refused if not retry.post(c, planned.index(c)).startswith("200")]
        print(f"retry round {attempt + 1}: {len(refused)} still refused")

    total = first + args.checkouts

    def sent() -> int:
        return counts(database_url, DUE).sent + counts(database_url, PREFIX).sent

    time.sleep(max((due_after - utcnow()).total_seconds(), 0))
    at_once = counts(database_url, PREFIX).enrollments
    print(f"{at_once} of the {args.checkouts} enrolled when their reminders fell due at once")
    eventually(lambda: counts(database_url, PREFIX).enrollments >= args.checkouts, 300)
    eventually(lambda: sent() >= total, max((due_after - utcnow()).total_seconds(), 0) + 120, every=1.0)
    settle_down(sent, sendgrid, 120)
    sent_then = sent()
    leased, sending = still_leased(database_url, STEP_LEASE)
    print(
        f"{sent_then}/{total} sent; {leased} enrollments leased by batches the restart cut, {sending} sending"
    )
    if sent_then < total:
        if args.lease == "wait":
            wait = STEP_LEASE.total_seconds() + 90
            print(f"waiting out the lease ({STEP_LEASE}) with the workers running")
        else:
            stop_workers(workers)
            moved = expire_leases(database_url, STEP_LEASE)
            print(
                f"workers stopped; {moved[0]} leases and {moved[1]} claims moved {STEP_LEASE} into the past"
            )
            workers[:] = [start_worker(env, log) for _ in range(args.workers)]
            wait = 180
        eventually(lambda: sent() >= total, wait, every=1.0)
    time.sleep(2)  # anything sent twice has arrived
    final, before = counts(database_url, PREFIX), counts(database_url, DUE)
    delivered = Delivered.of(provider_stats(sendgrid), total)
    settled = {
        key: a + b
        for (key, a), b in zip(
            settled_by_lookup(database_url, DUE).items(),
            settled_by_lookup(database_url, PREFIX).values(),
            strict=True,
        )
    }
    whole = final.events == final.processed == final.checkouts == final.enrollments == args.checkouts
    once = (
        final.messages == final.sent == args.checkouts
        and before.messages == before.sent == first
        and not sending_left(database_url)
        and delivered.exactly_once
    )
    lines.append(
        verdict_line(
            "nothing half-written, lost or sent twice",
            whole and once,
            f"{final.events} events, {final.processed} processed, {final.checkouts} checkouts, "
            f"{final.enrollments} enrollments; reminders sent {before.sent}/{first} due at the restart "
            f"and {final.sent}/{args.checkouts} after it; {delivered.describe()}; "
            f"{settled['confirmed']} settled as SendGrid had them, {settled['resent']} sent again",
        )
    )
    result = {
        "bench": "fault_postgres_restart",
        "due_at_restart": first,
        "checkouts": args.checkouts,
        "workers": args.workers,
        "lease": args.lease,
        "provider_delay_ms": args.provider_delay,
        "restart_s": round(restart.get("seconds", 0), 2),
        "calls_in_flight_at_restart": restart.get("in_flight", 0),
        "accepted_before_restart": restart.get("sent_before", 0),
        "due_at_once_after": at_once,
        "answers": first_answers,
        "held_by_leases": total - sent_then,
        "lost": delivered.lost,
        "duplicate": delivered.duplicated,
        "accepted": delivered.accepted,
        **settled,
        "passed": all(line.startswith("PASS") for line in lines),
    }
    return lines, result


def restarter(postgres: PrivatePostgres, due: datetime, sendgrid: str, restart: dict[str, Any]) -> None:
    """Restart PostgreSQL once batches due at ``due`` have calls in flight (30 s after at the latest)."""
    time.sleep(max((due - utcnow()).total_seconds(), 0))
    deadline = time.monotonic() + 30
    stats = provider_stats(sendgrid)
    while stats["in_flight"] < CALLS_IN_FLIGHT and time.monotonic() < deadline:
        time.sleep(0.05)
        stats = provider_stats(sendgrid)
    restart["in_flight"] = stats["in_flight"]
    restart["sent_before"] = stats["accepted"]
    print("restarting PostgreSQL")
    restart["seconds"] = postgres.restart()


def post_paced(poster: Poster, planned: list[Any], rate: float) -> dict[str, str]:
    """POST every checkout at ``rate`` per second; return each one's answer by token."""
    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        futures = {}
        for n, checkout in enumerate(planned):
            wait = started + n / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            futures[checkout.token] = pool.submit(poster.post, checkout, n)
        return {token: future.result() for token, future in futures.items()}


if __name__ == "__main__":
    main()
