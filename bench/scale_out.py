"""Scale-out scenario: two web processes and two workers (Procfile roles under honcho) on one
PostgreSQL and one Redis take a burst of webhooks, each delivered twice, once to each web process.

``bench/Procfile.scale`` holds the repository's Procfile roles, bound to 127.0.0.1 (the deployed one
binds 0.0.0.0 for the platform's router). honcho runs ``web=2,worker=2``; every checkout is POSTed
to both web processes at once, as a platform retrying through a load balancer would. PASS means:
every delivery answered 200, each checkout stored once, processed once, enrolled once, reminded
once, one mail per message at the fake SendGrid, and both workers took a share of the jobs.

    .venv/bin/python bench/scale_out.py [--checkouts 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402
from rq import Worker  # noqa: E402

from bench.e2e import REDIS_URL, bench_env, fake_sendgrid, prepare, provider_stats  # noqa: E402
from bench.ingest import RESULTS, bench_database, free_port  # noqa: E402
from bench.scenario import Poster, checkouts, counts, eventually, verdict_line  # noqa: E402

PREFIX = "scale-out"
HONCHO = Path(sys.executable).parent / "honcho"


@contextmanager
def honcho(env: dict[str, str], base_port: int) -> Iterator[list[str]]:
    """Run web=2,worker=2 from bench/Procfile.scale; yield the two web base URLs; stop them all."""
    log = (RESULTS / "scale-out-honcho.log").open("wb")
    command = [str(HONCHO), "-f", str(ROOT / "bench" / "Procfile.scale"), "-d", str(ROOT), "start"]
    command += ["-p", str(base_port), "-c", "web=2,worker=2"]
    path = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"  # the Procfile names waitress-serve, flask
    process = subprocess.Popen(
        command, env={**env, "PATH": path}, stdout=log, stderr=log, start_new_session=True
    )
    urls = [f"http://127.0.0.1:{base_port}", f"http://127.0.0.1:{base_port + 1}"]
    try:
        if not eventually(lambda: all(_serving(url) for url in urls), 60):
            raise RuntimeError(f"the web processes did not start; see {log.name}")
        yield urls
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def free_port_pair() -> int:
    """Return a port P such that P and P + 1 are free: honcho gives web.1 P and web.2 P + 1."""
    for _ in range(100):
        port = free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports on 127.0.0.1")


def _serving(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/healthz", timeout=1)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=2000)
    parser.add_argument("--delay", type=int, default=10, help="seconds from checkout to reminder (10)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    with bench_database() as database_url, fake_sendgrid() as sendgrid:
        env = bench_env(database_url, sendgrid)
        prepare(env, args.delay)
        with honcho(env, free_port_pair()) as urls:
            eventually(lambda: len(Worker.all(connection=redis)) >= 2, 30)
            posters = [Poster(url, attempts=1) for url in urls]
            deliveries = [
                (poster, c, n) for n, c in enumerate(checkouts(PREFIX, args.checkouts)) for poster in posters
            ]
            random.shuffle(deliveries)
            started = time.monotonic()
            with ThreadPoolExecutor(32) as pool:
                list(pool.map(lambda d: d[0].post(d[1], d[2]), deliveries))
            took = time.monotonic() - started
            answers = posters[0].answers + posters[1].answers
            done = eventually(lambda: counts(database_url, PREFIX).sent >= args.checkouts, 300)
            final = counts(database_url, PREFIX)
            shares = sorted(w.successful_job_count for w in Worker.all(connection=redis))
        stats = provider_stats(sendgrid)
    redis.flushdb()
    lines = [
        verdict_line(
            "every delivery acknowledged, each stored once",
            answers["200 stored"] == args.checkouts
            and answers["200 duplicate"] == args.checkouts
            and final.events == args.checkouts,
            f"{2 * args.checkouts} deliveries to 2 web processes in {took:.1f} s: {dict(answers)}; "
            f"{final.events} rows",
        ),
        verdict_line(
            "processed, enrolled and reminded exactly once by 2 workers",
            done
            and final.processed == final.enrollments == final.messages == final.sent == args.checkouts
            and stats["accepted"] == stats["references"] == args.checkouts
            and len(shares) == 2
            and min(shares) > 0,
            f"{final.processed} processed, {final.enrollments} enrollments, {final.sent} sent, "
            f"{stats['accepted']} mails for {stats['references']} messages, duplicates "
            f"{stats['duplicates'] or 'none'}; jobs per worker {shares}",
        ),
    ]
    print("\n".join(lines))
    if not all(line.startswith("PASS") for line in lines):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
