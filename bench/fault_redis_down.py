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
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402

from bench.e2e import bench_env, fake_sendgrid, post_burst, prepare, provider_stats, worker_pool  # noqa: E402
from bench.ingest import OURS, RESULTS, SERVER_PRESETS, bench_database, free_port, serve  # noqa: E402
from bench.scenario import Poster, checkouts, counts, eventually, verdict_line  # noqa: E402

PREFIX = "redis-down"


class PrivateRedis:
    """A redis-server of this script's own, on a fixed free port, that can be stopped and restarted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = Redis.from_url(self.url)
        if not eventually(lambda: _answers(client), 10, 0.1):
            raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _answers(client: Redis) -> bool:
    try:
        return bool(client.ping())
    except OSError:
        return False
    except Exception:  # redis-py's ConnectionError while it starts
        return False


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


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
