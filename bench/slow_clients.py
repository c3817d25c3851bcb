"""Slow-client attack (issue 14.4): N connections dribbling a byte every 2 s, against the Procfile's web.

The server is the Procfile's ``web`` command (bound to 127.0.0.1 instead of 0.0.0.0), serving a
fresh PostgreSQL database with one installed shop. Every second a probe GETs ``/healthz`` and
POSTs a distinct, correctly signed Shopify checkout webhook (the real sample), each with a 5 s
timeout, as a platform's router would wait. Three phases: before the attack, while ``--slow``
connections each send a request a byte every ``--interval`` seconds (half dribble their headers,
half their body), and after they closed. Prints each phase's probe latencies and timeouts, and a
PASS line when no probe during the attack went unanswered.

    .venv/bin/python bench/slow_clients.py [--slow 12] [--seconds 30] [--web "gunicorn ..."]

``--web`` runs another server command instead (``$PORT`` is set), to compare servers with the
same attack; the figures in bench/README.md were taken that way.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import (  # noqa: E402
    RESULTS,
    SAMPLE,
    SECRET,
    SHOP_DOMAIN,
    app_env,
    bench_database,
    prepare_database,
)
from tests.support.processes import (  # noqa: E402
    Probe,
    SlowClients,
    probe_health,
    probe_webhook,
    procfile_web_command,
    web_process,
)

TIMEOUT = 5.0


def probe_for(url: str, seconds: float) -> list[Probe]:
    """Probe the health check and a signed webhook once a second for the given seconds."""
    body = SAMPLE.read_bytes()
    probes: list[Probe] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        probes.append(probe_health(url, TIMEOUT))
        probes.append(probe_webhook(url, TIMEOUT, body, SECRET, SHOP_DOMAIN))
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    return probes


def describe(phase: str, probes: list[Probe]) -> str:
    lines = []
    for name in ("healthz", "webhook"):
        mine = [p for p in probes if p.name == name]
        answered = sorted(p.seconds * 1000 for p in mine if p.status is not None)
        statuses = sorted({p.status for p in mine if p.status is not None})
        missed = len(mine) - len(answered)
        latency = (
            f"p50 {statistics.median(answered):7.1f} ms  max {answered[-1]:7.1f} ms"
            if answered
            else "no answer at all"
        )
        lines.append(
            f"  {phase:<7} {name:<8} {len(mine):3d} probes  {latency}  "
            f"unanswered within {TIMEOUT:.0f} s: {missed}  statuses {statuses}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--slow", type=int, default=12, help="slow connections (12)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between their bytes (2)")
    parser.add_argument("--seconds", type=float, default=30, help="seconds the attack lasts (30)")
    parser.add_argument("--web", default=None, help="server command instead of the Procfile's web")
    args = parser.parse_args()
    command = args.web or procfile_web_command()
    RESULTS.mkdir(parents=True, exist_ok=True)
    print(f"server: {command}\nattack: {args.slow} connections, a byte every {args.interval} s")
    with bench_database() as database_url:
        env = app_env(database_url)
        prepare_database(env)
        with web_process(env, command, log=RESULTS / "slow-clients-web.log") as url:
            before = probe_for(url, 5)
            with SlowClients(url, args.slow, args.interval):
                time.sleep(args.interval)  # every connection is in and dribbling
                during = probe_for(url, args.seconds)
            after = probe_for(url, 5)
    print(describe("before", before))
    print(describe("during", during))
    print(describe("after", after))
    held = [p for p in during if p.status is None or p.status >= 500]
    verdict = "PASS" if not held else "FAIL"
    print(
        f"{verdict}  probes answered during the attack: {len(during) - len(held)}/{len(during)} "
        f"within {TIMEOUT:.0f} s, none 5xx"
    )
    if held:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
