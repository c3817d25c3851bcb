"""Fallback load generator for bench/ingest.py when wrk is missing: one keep-alive thread per connection.

Run as its own process (``python bench/pyload.py URL CONNECTIONS SECONDS DELIVERIES BODY``); it sends
the same pre-signed deliveries as bench/ingest.lua, lets in-flight requests finish at the deadline,
and prints one ``RESULT {json}`` line in the same shape as the wrk script.
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class Tally:
    """What one connection saw."""

    sent: int = 0
    ok: int = 0
    stored: int = 0
    non_2xx: int = 0
    socket_errors: int = 0
    latencies: list[float] = field(default_factory=list)


@dataclass
class Plan:
    """What every connection shares: the target, the deliveries, the next row to send, the deadline."""

    url: str
    body: bytes
    names: list[str]
    rows: list[list[str]]
    deadline: float
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def next_headers(self) -> dict[str, str]:
        """Return the headers of the next delivery, its event id kept unique if the rows run out."""
        index = next(self.counter)
        headers = dict(zip(self.names, self.rows[index % len(self.rows)], strict=True))
        if index >= len(self.rows):
            headers["X-Shopify-Event-Id"] += f"-{index // len(self.rows)}"
        return headers


def drive(plan: Plan) -> Tally:
    """Send deliveries over one keep-alive connection until the deadline; return what came back."""
    parts = urlsplit(plan.url)
    tally = Tally()
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    while time.perf_counter() < plan.deadline:
        headers = plan.next_headers()
        tally.sent += 1
        started = time.perf_counter()
        try:
            conn.request("POST", parts.path, plan.body, headers)
            response = conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException):
            tally.socket_errors += 1
            conn.close()
            continue
        tally.latencies.append(time.perf_counter() - started)
        if response.status == 200:
            tally.ok += 1
            tally.stored += b'"stored"' in answer
        elif not 200 <= response.status < 300:
            tally.non_2xx += 1
    conn.close()
    return tally


def percentile(ordered: list[float], q: float) -> float:
    """Return the q-th percentile (nearest rank) of ascending values, NaN when there are none."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def run(url: str, connections: int, seconds: float, deliveries: Path, body: Path) -> dict[str, float]:
    """Load the URL with the given connections for the given seconds; return the RESULT fields."""
    names, *rows = (line.split("\t") for line in deliveries.read_text().splitlines())
    started = time.perf_counter()
    plan = Plan(url, body.read_bytes(), names, rows, started + seconds)
    tallies: list[Tally] = []
    threads = [threading.Thread(target=lambda: tallies.append(drive(plan))) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(itertools.chain.from_iterable(t.latencies for t in tallies))
    return {
        "seconds": elapsed,
        "requests": len(latencies),
        "sent": sum(t.sent for t in tallies),
        "ok": sum(t.ok for t in tallies),
        "stored": sum(t.stored for t in tallies),
        "non_2xx": sum(t.non_2xx for t in tallies),
        "socket_errors": sum(t.socket_errors for t in tallies),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


if __name__ == "__main__":
    target, conns, secs, tsv, body_file = sys.argv[1:6]
    print("RESULT " + json.dumps(run(target, int(conns), float(secs), Path(tsv), Path(body_file))))
