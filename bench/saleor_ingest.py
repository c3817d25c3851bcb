"""Saleor webhook-ingest benchmark: POST /webhooks/saleor (JWS check + durable INSERT) against bare Flask.

Same method as bench/ingest.py, whose helpers it uses: both apps under gunicorn with identical
settings on loopback ports, loaded alternately (bare, ours, bare, ours) by wrk at fixed concurrency.
Every request is a distinct ``checkout_created`` delivery signed like Saleor signs (detached RS256
JWS over the raw body, with a test key), from an installed, allowlisted instance whose JWKS a small
server in this process publishes on 127.0.0.1 (so Storeflow runs with the test-and-demo hatch
``SALEOR_ALLOW_PRIVATE_NETWORKS=true``). Saleor sends no event id: each delivery differs by its
``issuedAt``, as real events do, so every request is a new row. RSA signing is slow, so deliveries
are signed ahead, in two processes, ``--rate`` per second of load.

    .venv/bin/python bench/saleor_ingest.py [--duration 10] [--connections 16] [--rate 3000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
import jwt  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from app.core.clock import utcnow  # noqa: E402
from app.core.config import Config  # noqa: E402
from app.db import db  # noqa: E402
from app.db.models import Shop  # noqa: E402
from app.platforms.saleor.urls import normalize_api_url  # noqa: E402
from app.web.factory import create_app  # noqa: E402
from bench.ingest import (  # noqa: E402
    BARE,
    DEFAULT_PRESET,
    OURS,
    P99_TARGET,
    RESULTS,
    SERVER_PRESETS,
    THROUGHPUT_TARGET,
    LoadResult,
    app_env,
    bench_database,
    count_events,
    durability,
    free_port,
    machine,
    measure,
    print_table,
    serve,
    summarize,
    verdict,
    write_results,
)
from demo.saleor import checkout_from_legacy, load  # noqa: E402
from webhooks.saleor.verify import sign  # noqa: E402

BENCH = ROOT / "bench"
ENDPOINT = "/webhooks/saleor"
EVENT = "checkout_created"
KID = "bench-key"


@cache
def private_key_pem() -> bytes:
    """Make the benchmark's signing key once (shared with the signing processes as PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def jwks() -> bytes:
    """The instance's published keys: our one signing key."""
    key = serialization.load_pem_private_key(private_key_pem(), password=None)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))  # type: ignore[arg-type]
    return json.dumps({"keys": [{**public, "use": "sig", "kid": KID}]}).encode()


@contextmanager
def saleor_instance() -> Iterator[str]:
    """Publish the JWKS at http://127.0.0.1:<port>/.well-known/jwks.json; yield the instance's API URL."""
    document = jwks()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield normalize_api_url(f"http://127.0.0.1:{server.server_address[1]}/graphql/")
    finally:
        server.shutdown()
        server.server_close()


def payload_template() -> dict[str, Any]:
    """The demo's checkout (the documented legacy checkout, reshaped as our subscription yields it)."""
    legacy = load("SHIPPING_LIST_METHODS_FOR_CHECKOUT__saleor-docs-legacy-checkout")[0]
    payload: dict[str, Any] = checkout_from_legacy(legacy)
    payload["checkout"]["emailConsent"] = "true"
    return payload


def _sign_rows(args: tuple[str, int, int, str]) -> list[str]:
    """Sign ``count`` distinct deliveries starting at ``first`` (runs in a worker process)."""
    api_url, first, count, start = args
    key = serialization.load_pem_private_key(private_key_pem(), password=None)  # inherited by fork
    template = payload_template()
    base = datetime.fromisoformat(start)
    rows = []
    for n in range(first, first + count):
        template["issuedAt"] = (base + timedelta(microseconds=n)).isoformat()
        body = json.dumps(template, separators=(",", ":")).encode()
        signature = sign(body, key, KID)  # type: ignore[arg-type]
        rows.append(f"{EVENT}\t{api_url}\t{signature}\t{body.decode()}\n")
    return rows


@dataclass
class SaleorLoad:
    """wrk with bench/saleor.lua over deliveries signed ahead; each run gets deliveries of its own."""

    connections: int
    rate: int
    workdir: Path
    api_url: str
    signed: int = 0
    repeated: list[int] = field(default_factory=list)

    def run(self, url: str, seconds: int) -> LoadResult:
        """Sign ``rate * seconds`` fresh deliveries, then send them to the URL for the given seconds."""
        path = self.workdir / "saleor.tsv"
        count = self.rate * seconds
        half = count // 2
        halves = [
            (self.api_url, self.signed, half, START),
            (self.api_url, self.signed + half, count - half, START),
        ]
        with ProcessPoolExecutor(2) as pool, path.open("w") as out:
            for rows in pool.map(_sign_rows, halves):
                out.writelines(rows)
        self.signed += count
        command = ["wrk", "-t1", f"-c{self.connections}", f"-d{seconds}s", "--timeout", "10s"]
        command += ["-s", str(BENCH / "saleor.lua"), url, "--", str(path)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
        result = LoadResult(**json.loads(lines[-1].removeprefix("RESULT ")))
        self.repeated.append(max(0, result.sent - count))
        return result

    def describe(self) -> str:
        return f"wrk -t1 -c{self.connections} (bench/saleor.lua), {self.rate} deliveries signed per second"


START = utcnow().isoformat()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per run (10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (16)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first (2)")
    parser.add_argument("--rounds", type=int, default=2, help="bare/ours alternations (2)")
    parser.add_argument("--rate", type=int, default=3000, help="deliveries signed per second of load (3000)")
    parser.add_argument("--server", choices=SERVER_PRESETS, default=DEFAULT_PRESET)
    return parser.parse_args()


def saleor_env(database_url: str, api_url: str) -> dict[str, str]:
    """Return ingest's environment with the instance allowed (and reachable on loopback)."""
    return {
        **app_env(database_url),
        "SALEOR_ALLOWED_API_URLS": api_url,
        "SALEOR_ALLOW_PRIVATE_NETWORKS": "true",
    }


def prepare_database(env: dict[str, str], api_url: str) -> None:
    """Run the migrations and install the Saleor instance the deliveries come from."""
    app = create_app(Config.from_env(env))
    with app.app_context():
        flask_migrate.upgrade()
        db.session.add(Shop(platform="saleor", domain=api_url, name="Bench Saleor", installed_at=utcnow()))
        db.session.commit()
        db.engine.dispose()


def report(summary: dict[str, dict[str, float]], check: dict[str, int | bool]) -> dict[str, float | bool]:
    """Print the table, the ratios against the targets and the durability check; return the ratios."""
    print_table(summary)
    bare, ours = summary[BARE.name], summary[OURS.name]
    ratios: dict[str, float | bool] = {
        "rps": ours["rps"] / bare["rps"],
        "p50": ours["p50_ms"] / bare["p50_ms"],
        "p99": ours["p99_ms"] / bare["p99_ms"],
        "cpu_per_request": ours["cpu_ms_per_request"] / bare["cpu_ms_per_request"],
    }
    ratios["rps_pass"] = ratios["rps"] >= THROUGHPUT_TARGET
    ratios["p99_pass"] = ratios["p99"] < P99_TARGET
    print(
        f"\nthroughput  storeflow/bare = {ratios['rps']:.2f}"
        f"  (target >= {THROUGHPUT_TARGET:.2f})  {verdict(bool(ratios['rps_pass']))}"
    )
    print(
        f"p99 latency storeflow/bare = {ratios['p99']:.2f}x"
        f" (target < {P99_TARGET:.0f}x)     {verdict(bool(ratios['p99_pass']))}"
    )
    print(f"worker CPU  storeflow/bare = {ratios['cpu_per_request']:.2f}x per request")
    print(
        f"durability  webhook_event rows {check['rows']} vs {check['ok_200']} answers 200"
        f" ({check['stored_200']} said stored), {check['unanswered']} cut off in flight"
        f" -> {verdict(bool(check['passed']))}"
    )
    return ratios


def main() -> None:
    """Set up, load both apps alternately, check durability, print and save the figures."""
    args = parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    facts = machine()
    settings = SERVER_PRESETS[args.server].args(args.connections)
    with tempfile.TemporaryDirectory(prefix="storeflow-bench-") as workdir, saleor_instance() as api_url:
        load = SaleorLoad(args.connections, args.rate, Path(workdir), api_url)
        print(f"machine: {facts['nproc']} x {facts['cpu']}, load average {facts['loadavg']}")
        print(f"server:  gunicorn {' '.join(settings)} (both apps), 127.0.0.1 only")
        print(f"load:    {load.describe()}, {args.warmup} s warm-up + {args.duration} s per run")
        print(f"payload: {EVENT}, {len(json.dumps(payload_template()))} bytes, signed RS256 (detached JWS)\n")
        with bench_database() as database_url:
            env = saleor_env(database_url, api_url)
            prepare_database(env, api_url)
            with ExitStack() as stack:
                servers = {
                    BARE.name: stack.enter_context(serve(BARE, settings, env, ENDPOINT, "saleor")),
                    OURS.name: stack.enter_context(serve(OURS, settings, env, ENDPOINT, "saleor")),
                }
                runs = measure(load, servers, args)  # type: ignore[arg-type]
            check = durability(runs[OURS.name] + runs[f"{OURS.name}/warmup"], count_events(database_url))
    summary = {name: summarize(runs[name]) for name in servers}
    ratios = report(summary, check)
    if any(load.repeated):
        print(f"note: runs outgrew their signed deliveries by {load.repeated} requests (answered duplicate)")
    settings_used = {"server": f"gunicorn {' '.join(settings)}", "load": load.describe()}
    write_results("saleor_ingest", facts, settings_used, summary, runs, ratios, "durability", check)


if __name__ == "__main__":
    main()
