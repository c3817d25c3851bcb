"""Fault scenario: workers SIGKILLed in the middle of a batch of sends, several times.

``--reminders`` checkouts (600) are taken in by Storeflow (gunicorn) and ``--workers`` real
``flask --app wsgi storeflow worker`` processes (2), and all their first reminders fall due at one
instant: the step executors claim them ``STEP_BATCH_SIZE`` at a time (100) and send each batch's
mails concurrently to the fake SendGrid (bench/fake_provider.py), which answers every send after
``--provider-delay`` ms (1000), so batches are in flight for seconds. While they are, the script
SIGKILLs ``--kills`` times (3) the process holding calls open to SendGrid, cycling through
``--kill`` modes: ``steps`` kills the worker's steps child (its supervisor starts another),
``group`` kills the whole worker (supervisor, RQ worker, steps, relay) and starts a new one.

A killed batch leaves two kinds of cut-off call: mails SendGrid had taken before the kill (their
answers died with the worker), and calls still waiting, which the fake drops as never received.
Their messages stay ``sending`` and their enrollments leased (``STEP_LEASE``, 10 min of wall time
whatever ``CLOCK_SPEEDUP`` says: the lease is scaled to flow time). Once the leases are over, the
next executor asks SendGrid's Email Activity (the fake answers it) before any resend: taken ones
are marked sent, the others sent once more. ``--lease wait`` waits the 10 minutes with the workers
running; ``--lease expire`` (default) stops every worker, moves the leases and claims into the past
by ``STEP_LEASE`` (what waiting would do to them; bench/scenario.py ``expire_leases``) and starts
the workers again. PASS: every reminder accepted by SendGrid exactly once (0 lost, 0 duplicate),
every message ``sent``, and the killed batches settled through the provider's records.

    BENCH_REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python bench/fault_worker_kill.py \\
        [--reminders 600] [--workers 2] [--kills 3] [--kill steps,group] [--lease expire|wait]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
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
from bench.ingest import OURS, RESULTS, SERVER_PRESETS, bench_database, machine, serve  # noqa: E402
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

PREFIX = "worker-kill"
DELAY = 5  # seconds from a checkout to its reminder (the checkouts are dated so all fall due at once)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--reminders", type=int, default=600, help="reminders due at once (600)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs, each during a batch in flight (3)")
    parser.add_argument("--kill", default="steps,group", help="kill modes to cycle through (steps,group)")
    parser.add_argument("--provider-delay", type=float, default=1000, help="ms to each answer (1000)")
    parser.add_argument("--lease", choices=("expire", "wait"), default="expire", help="see above (expire)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    facts = machine()
    print(f"machine: {facts['nproc']} x {facts['cpu']}, load average {facts['loadavg']}")
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    with bench_database() as database_url, fake_sendgrid(args.provider_delay) as sendgrid:
        env = bench_env(database_url, sendgrid)
        prepare(env, DELAY)
        settings = SERVER_PRESETS["gthread-2x4"].args(16)
        log = (RESULTS / "fault-worker-kill-workers.log").open("ab")
        workers = [start_worker(env, log) for _ in range(args.workers)]
        try:
            with serve(OURS, settings, env, "/webhooks/shopify", "fault-kill") as server:
                time.sleep(3)
                lines, result = run(server.url, database_url, sendgrid, env, log, workers, args)
        finally:
            stop_workers(workers)
            log.close()
    redis.flushdb()
    result["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    result["loadavg_start"] = facts["loadavg"]
    report(lines, result)


def run(
    url: str,
    database_url: str,
    sendgrid: str,
    env: dict[str, str],
    log: Any,
    workers: list[subprocess.Popen[bytes]],
    args: argparse.Namespace,
) -> tuple[list[str], dict[str, Any]]:
    count = args.reminders
    due = utcnow() + timedelta(seconds=15 + count / 15)  # room to take every checkout in first
    poster = Poster(url)
    post_burst(poster, due_at_once(PREFIX, count, due, DELAY), offset=0)
    enrolled = eventually(
        lambda: counts(database_url, PREFIX).enrollments >= count,
        (due - utcnow()).total_seconds() + 120,
    )
    print(f"{count} checkouts taken in; all enrolled before due: {enrolled and utcnow() < due}")
    modes = [mode.strip() for mode in args.kill.split(",") if mode.strip()]
    port = int(sendgrid.rsplit(":", 1)[1])
    kills: list[dict[str, Any]] = []
    for n in range(args.kills):
        kill = kill_mid_batch(workers, port, modes[n % len(modes)], env, log)
        if kill is None:
            print("no batch in flight any more: fewer kills than asked")
            break
        kills.append(kill)
        print(
            f"kill {n + 1}: SIGKILL {kill['mode']} (pid {kill['pid']}) with {kill['calls_open']} calls "
            f"open to SendGrid; {kill['accepted_before']} mails accepted before"
        )
        time.sleep(2)  # a new steps child (or worker) starts and claims its next batch

    # What the live workers can finish, they finish; the dead workers' batches wait for their leases.
    settle_down(lambda: counts(database_url, PREFIX).sent, sendgrid, 300)
    sent_then = counts(database_url, PREFIX).sent
    leased, sending = still_leased(database_url, STEP_LEASE)
    print(
        f"after the kills: {sent_then} sent; {count - sent_then} held by dead workers' leases "
        f"({leased} enrollments leased, {sending} messages sending)"
    )
    if args.lease == "wait":
        wait = STEP_LEASE.total_seconds() + 90
        print(f"waiting out the lease ({STEP_LEASE}) with the workers running")
    else:
        stop_workers(workers)
        moved = expire_leases(database_url, STEP_LEASE)
        print(f"workers stopped; {moved[0]} leases and {moved[1]} claims moved {STEP_LEASE} into the past")
        workers[:] = [start_worker(env, log) for _ in range(args.workers)]
        wait = 180
    done = eventually(lambda: counts(database_url, PREFIX).sent >= count, wait, every=1.0)
    time.sleep(2)  # anything sent twice has arrived
    final = counts(database_url, PREFIX)
    stats = provider_stats(sendgrid)
    delivered = Delivered.of(stats, count)
    settled = settled_by_lookup(database_url, PREFIX)
    lines = [
        verdict_line(
            "workers killed mid-batch",
            len(kills) == args.kills and all(kill["calls_open"] > 0 for kill in kills),
            f"{len(kills)}/{args.kills} SIGKILLs, calls open at each: {[k['calls_open'] for k in kills]}",
        ),
        verdict_line(
            "every reminder sent exactly once",
            done
            and delivered.exactly_once
            and final.messages == final.sent == count
            and not sending_left(database_url),
            f"{final.sent}/{count} sent, {delivered.describe()}",
        ),
        verdict_line(
            "the killed batches settled through SendGrid's records",
            stats["lookups"] > 0 and settled["confirmed"] + settled["resent"] > 0,
            f"{stats['lookups']} Email Activity searches ({stats['lookups_found']} found); "
            f"{settled['confirmed']} marked sent as SendGrid had them, {settled['resent']} sent again "
            f"({stats['dropped']} calls cut off before SendGrid took them)",
        ),
    ]
    result = {
        "bench": "fault_worker_kill",
        "reminders": count,
        "workers": args.workers,
        "lease": args.lease,
        "provider_delay_ms": args.provider_delay,
        "kills": kills,
        "sent_before_leases": sent_then,
        "held_by_leases": leased,
        "lost": delivered.lost,
        "duplicate": delivered.duplicated,
        "accepted": delivered.accepted,
        "lookups": stats["lookups"],
        "lookups_found": stats["lookups_found"],
        "dropped_calls": stats["dropped"],
        **settled,
        "passed": all(line.startswith("PASS") for line in lines),
    }
    return lines, result


def kill_mid_batch(
    workers: list[subprocess.Popen[bytes]], port: int, mode: str, env: dict[str, str], log: Any
) -> dict[str, Any] | None:
    """Wait for a process with calls open to SendGrid, SIGKILL it (or its worker); None: none came."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        calling = {pid: n for pid, n in callers(workers, port).items() if n >= 4}
        if calling:
            pid, open_calls = max(calling.items(), key=lambda item: item[1])
            accepted = provider_stats(f"http://127.0.0.1:{port}")["accepted"]
            if mode == "group":
                group = os.getpgid(pid)
                os.killpg(group, signal.SIGKILL)
                for n, worker in enumerate(workers):
                    if worker.pid == group:
                        worker.wait()
                        workers[n] = start_worker(env, log)
            else:
                os.kill(pid, signal.SIGKILL)
            return {"mode": mode, "pid": pid, "calls_open": open_calls, "accepted_before": accepted}
        time.sleep(0.05)
    return None


def callers(workers: list[subprocess.Popen[bytes]], port: int) -> dict[int, int]:
    """Return, per process of the workers' trees, how many connections it has open to ``port``."""
    remote = {inode for inode in _established_to(port)}
    found: dict[int, int] = {}
    for worker in workers:
        for pid in _tree(worker.pid):
            try:
                links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
            except OSError:
                continue
            open_calls = sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in remote)
            if open_calls:
                found[pid] = open_calls
    return found


def _established_to(port: int) -> set[str]:
    """Socket inodes of established TCP connections to 127.0.0.1:``port``."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "01" and int(fields[2].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def _tree(pid: int) -> list[int]:
    """The process and its descendants."""
    found = [pid]
    for parent in found:
        try:
            for task in os.listdir(f"/proc/{parent}/task"):
                children = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
                found.extend(int(child) for child in children)
        except OSError:
            continue
    return found


if __name__ == "__main__":
    main()
