"""Fault scenario: PostgreSQL restarts while webhooks arrive and reminders are being sent.

Storeflow (gunicorn, ``--workers`` worker processes, the fake SendGrid) takes checkouts at
``--rate`` per second; a few seconds in, the machine's PostgreSQL cluster is restarted with
``pg_ctlcluster --skip-systemctl-redirect 15 main restart``. Requests during the restart must fail
cleanly, with a 503 the platform retries, never a 500 or a 4xx; each checkout that was refused is
then delivered again, as Shopify would. At the end every checkout must be stored once, processed,
enrolled and reminded exactly once: nothing half-written, nothing lost, nothing sent twice.

This restarts the shared PostgreSQL (every database on it): run it once, by hand, never in CI.
Whatever happens, the script makes sure the cluster is running again before it exits.

    .venv/bin/python bench/fault_postgres_restart.py [--checkouts 1500] [--rate 100]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.e2e import bench_env, fake_sendgrid, prepare, provider_stats, worker_pool  # noqa: E402
from bench.ingest import OURS, RESULTS, SERVER_PRESETS, bench_database, serve  # noqa: E402
from bench.scenario import Poster, checkouts, counts, eventually, verdict_line  # noqa: E402

PREFIX = "pg-restart"
CLUSTER = ("15", "main")
CLEAN = {"200 stored", "200 duplicate", "503"}


def cluster_online() -> bool:
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=False)
    return any(line.split()[:2] == list(CLUSTER) and "online" in line for line in listing.stdout.splitlines())


def restart_cluster() -> float:
    """Restart the cluster; return how long it took."""
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *CLUSTER, "restart"], check=True, timeout=120
    )
    return time.monotonic() - started


def ensure_cluster_running() -> None:
    """Start the cluster if this scenario left it stopped (it must never end with PostgreSQL down)."""
    if not cluster_online():
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", *CLUSTER, "start"], check=False, timeout=120
        )
    if not eventually(cluster_online, 60, 1.0):
        print("FAIL  PostgreSQL is not running after the scenario: start it with pg_ctlcluster 15 main start")
        raise SystemExit(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=1500)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--restart-after", type=float, default=5.0, help="seconds into the load (5)")
    parser.add_argument("--delay", type=int, default=5, help="seconds from checkout to reminder (5)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not cluster_online():
        raise SystemExit("PostgreSQL 15/main is not online; nothing to restart")
    lines: list[str] = []
    try:
        with bench_database() as database_url, fake_sendgrid() as sendgrid:
            env = bench_env(database_url, sendgrid)
            prepare(env, args.delay)
            settings = SERVER_PRESETS["gthread-2x4"].args(16)
            with (
                serve(OURS, settings, env, "/webhooks/shopify", "fault-pg") as server,
                worker_pool(args.workers, env),
            ):
                time.sleep(3)
                lines += run(server.url, database_url, sendgrid, args)
    finally:
        ensure_cluster_running()
    print("\n".join(lines))
    if not all(line.startswith("PASS") for line in lines):
        raise SystemExit(1)


def run(url: str, database_url: str, sendgrid: str, args: argparse.Namespace) -> list[str]:
    poster = Poster(url, attempts=1)
    planned = checkouts(PREFIX, args.checkouts)
    answers: dict[str, str] = {}
    restart: dict[str, float] = {}

    def restarter() -> None:
        time.sleep(args.restart_after)
        print(f"restarting PostgreSQL {args.restart_after:.0f} s into the load")
        restart["seconds"] = restart_cluster()

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
