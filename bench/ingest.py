"""Webhook-ingest benchmark: POST /webhooks/shopify (HMAC + durable INSERT) against bare Flask.

Both apps run under gunicorn with identical settings on loopback ports, in the same run, and are
loaded alternately (bare, ours, bare, ours) at fixed concurrency by wrk; every request is a distinct,
correctly signed checkouts/create delivery. Only the ratios mean anything across runs: these
machines have 2 shared cores. See bench/README.md.

    .venv/bin/python bench/ingest.py [--duration 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402

from app.core.clock import utcnow  # noqa: E402
from app.core.config import Config  # noqa: E402
from app.db import db  # noqa: E402
from app.db.models import Shop  # noqa: E402
from app.web.factory import create_app  # noqa: E402
from webhooks.shopify.verify import sign  # noqa: E402

BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
SAMPLE = ROOT / "samples" / "shopify" / "checkouts_create__shopifydocs-2026-04.json"
GUNICORN = Path(sys.executable).parent / "gunicorn"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ENDPOINT = "/webhooks/shopify"
SECRET = "bench-shopify-secret"
SHOP_DOMAIN = "bench-shop.myshopify.com"
TOPIC = "checkouts/create"
# Deliveries pre-generated per second of load: above what either app reaches on 2 cores. Past it,
# the load scripts suffix the event id so every delivery stays distinct.
ROWS_PER_SECOND = 8000
THROUGHPUT_TARGET = 0.5  # ours / bare requests per second, at least
P99_TARGET = 5.0  # ours / bare p99 latency, below


@dataclass(frozen=True)
class ServerSettings:
    """A gunicorn worker setup, applied identically to both apps."""

    workers: int
    worker_class: str
    threads: int = 1

    def args(self, connections: int) -> tuple[str, ...]:
        """Return gunicorn's options for a load of this many keep-alive connections.

        A gthread worker accepts every connection it can: all of wrk's connections, opened at once,
        may land on one worker and leave the other idle. Capping each worker at its share spreads them.
        """
        args = ["--workers", str(self.workers), "--worker-class", self.worker_class]
        if self.worker_class == "gthread":
            share = -(-connections // self.workers)
            args += ["--threads", str(self.threads), "--worker-connections", str(share)]
        return tuple(args)


SERVER_PRESETS = {
    "sync-2": ServerSettings(2, "sync"),
    "sync-4": ServerSettings(4, "sync"),
    "gthread-2x2": ServerSettings(2, "gthread", 2),
    "gthread-2x4": ServerSettings(2, "gthread", 4),
    "gthread-4x2": ServerSettings(4, "gthread", 2),
}
DEFAULT_PRESET = "gthread-2x4"


@dataclass(frozen=True)
class Target:
    """One app under test: a label and the gunicorn app spec."""

    name: str
    app: str


@dataclass(frozen=True)
class Server:
    """A running gunicorn: its endpoint URL and the master's process id."""

    url: str
    pid: int

    def worker_cpu(self) -> float:
        """Return the CPU seconds (user + system) the master's worker processes have used so far."""
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total


BARE = Target("bare", "bench.bare_app:app")
OURS = Target("storeflow", "wsgi:app")


@dataclass(frozen=True)
class LoadResult:
    """What one load run saw; the same fields as the RESULT line of bench/ingest.lua and bench/pyload.py."""

    seconds: float
    requests: int
    sent: int
    ok: int
    stored: int
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    server_cpu_s: float = 0.0  # user + system CPU of the gunicorn workers during the run

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds

    @property
    def unanswered(self) -> int:
        """Requests sent without a response: socket errors, and those in flight when the run stopped."""
        return self.sent - self.requests

    @property
    def cpu_ms(self) -> float:
        """Gunicorn worker CPU milliseconds per completed request."""
        return 1000 * self.server_cpu_s / max(self.requests, 1)


@dataclass(frozen=True)
class Load:
    """How to load a target: the tool, the concurrency, and where deliveries files go."""

    loader: str
    connections: int
    workdir: Path

    def run(self, url: str, seconds: int) -> LoadResult:
        """Send fresh signed deliveries to the URL for the given seconds."""
        deliveries = write_deliveries(self.workdir / "deliveries.tsv", seconds * ROWS_PER_SECOND)
        if self.loader == "wrk":
            command = ["wrk", "-t1", f"-c{self.connections}", f"-d{seconds}s", "--timeout", "10s"]
            command += ["-s", str(BENCH / "ingest.lua"), url, "--", str(deliveries), str(SAMPLE)]
        else:
            command = [sys.executable, str(BENCH / "pyload.py"), url, str(self.connections), str(seconds)]
            command += [str(deliveries), str(SAMPLE)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stdout}{done.stderr}")
        return LoadResult(**json.loads(lines[-1].removeprefix("RESULT ")))

    def describe(self) -> str:
        """Name the load generator and its settings."""
        if self.loader == "wrk":
            return f"wrk -t1 -c{self.connections} (bench/ingest.lua)"
        return f"bench/pyload.py, {self.connections} keep-alive connections"


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per run (10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (16)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first (2)")
    parser.add_argument("--rounds", type=int, default=2, help="bare/ours alternations (2)")
    parser.add_argument(
        "--server",
        choices=SERVER_PRESETS,
        default=DEFAULT_PRESET,
        help=f"gunicorn settings ({DEFAULT_PRESET})",
    )
    parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--calibrate", action="store_true", help="only load the bare app under every --server preset"
    )
    return parser.parse_args()


def pick_loader(choice: str) -> str:
    """Return wrk when available (or asked for), else the Python fallback, saying so loudly."""
    if choice == "python":
        return "python"
    if shutil.which("wrk"):
        return "wrk"
    if choice == "wrk":
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    print(
        "WARNING: wrk is not installed (apt-get install -y wrk); falling back to bench/pyload.py,\n"
        "which competes with the servers for the CPU: absolute figures drop and ratios are noisier.\n"
    )
    return "python"


def write_deliveries(path: Path, count: int) -> Path:
    """Write distinct signed deliveries of the sample: a line of header names, then one line each."""
    signature = sign(SAMPLE.read_bytes(), SECRET)
    names = (
        "Content-Type",
        "X-Shopify-Topic",
        "X-Shopify-Shop-Domain",
        "X-Shopify-API-Version",
        "X-Shopify-Triggered-At",
        "X-Shopify-Event-Id",
        "X-Shopify-Webhook-Id",
        "X-Shopify-Hmac-Sha256",
    )
    triggered = utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    common = f"application/json\t{TOPIC}\t{SHOP_DOMAIN}\t2026-04\t{triggered}"
    with path.open("w") as out:
        out.write("\t".join(names) + "\n")
        out.writelines(f"{common}\t{uuid.uuid4()}\t{uuid.uuid4()}\t{signature}\n" for _ in range(count))
    return path


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Block until the server answers HTTP (a GET gets 405), or fail with its log."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=1)
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
            continue
        return
    raise RuntimeError(f"gunicorn did not answer within 30 s:\n{log.read_text()[-3000:]}")


@contextmanager
def serve(
    target: Target,
    settings: tuple[str, ...],
    env: dict[str, str],
    endpoint: str = ENDPOINT,
    log_prefix: str = "ingest",
) -> Iterator[Server]:
    """Run gunicorn for the target on a free loopback port; yield it; stop it."""
    port = free_port()
    log = RESULTS / f"{log_prefix}-{target.name}.log"
    command = [str(GUNICORN), *settings, "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen([*command, target.app], cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            url = f"http://127.0.0.1:{port}{endpoint}"
            wait_until_serving(url, process, log)
            yield Server(url, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def app_env(database_url: str) -> dict[str, str]:
    """Return the environment Storeflow runs with in this benchmark."""
    return {
        **os.environ,
        "STOREFLOW_ENV": "development",
        "DATABASE_URL": database_url,
        "REDIS_URL": "redis://127.0.0.1:6379/12",
        "SHOPIFY_API_SECRET": SECRET,
        "SHOPIFY_API_KEY": "bench",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    }


@contextmanager
def bench_database() -> Iterator[str]:
    """Create an empty PostgreSQL database; yield its URL; drop it."""
    name = f"storeflow_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def prepare_database(env: dict[str, str]) -> None:
    """Run the migrations and add the installed shop the deliveries come from."""
    app = create_app(Config.from_env(env))
    with app.app_context():
        flask_migrate.upgrade()
        db.session.add(Shop(platform="shopify", domain=SHOP_DOMAIN, name="Bench", installed_at=utcnow()))
        db.session.commit()
        db.engine.dispose()


def count_events(database_url: str) -> int:
    """Return how many webhook_event rows are stored."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM webhook_event").fetchone()
    return int(row[0]) if row else 0


def measure(load: Load, servers: dict[str, Server], args: argparse.Namespace) -> dict[str, list[LoadResult]]:
    """Load the servers alternately; return every run, warm-ups under '<name>/warmup'."""
    runs: dict[str, list[LoadResult]] = {}
    for round_no in range(1, args.rounds + 1):
        for name, server in servers.items():
            runs.setdefault(f"{name}/warmup", []).append(load.run(server.url, args.warmup))
            cpu_before = server.worker_cpu()
            result = load.run(server.url, args.duration)
            result = replace(result, server_cpu_s=server.worker_cpu() - cpu_before)
            runs.setdefault(name, []).append(result)
            print(
                f"  round {round_no}/{args.rounds} {name:<12} {result.rps:8.0f} rps"
                f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:7.2f} ms"
                f"  cpu {result.cpu_ms:5.2f} ms/req",
                flush=True,
            )
    return runs


def summarize(results: list[LoadResult]) -> dict[str, float]:
    """Return the medians over rounds (rps, latencies, worker CPU per request) and summed errors."""
    return {
        "rps": statistics.median(r.rps for r in results),
        "p50_ms": statistics.median(r.p50_ms for r in results),
        "p99_ms": statistics.median(r.p99_ms for r in results),
        "cpu_ms_per_request": statistics.median(r.cpu_ms for r in results),
        "non_2xx": sum(r.non_2xx for r in results),
        "socket_errors": sum(r.socket_errors for r in results),
    }


def print_table(summary: dict[str, dict[str, float]]) -> None:
    """Print one line of medians per target."""
    columns = ("rps", "p50 ms", "p99 ms", "cpu ms/req", "non-2xx", "sock err")
    print("\n" + f"{'target':<12}" + "".join(f"{c:>11}" for c in columns))
    for name, s in summary.items():
        latencies = (s["p50_ms"], s["p99_ms"], s["cpu_ms_per_request"])
        counts = (s["non_2xx"], s["socket_errors"])
        print(
            f"{name:<12}{s['rps']:11.0f}"
            + "".join(f"{v:11.2f}" for v in latencies)
            + "".join(f"{c:11.0f}" for c in counts)
        )


def durability(runs: list[LoadResult], rows: int) -> dict[str, int | bool]:
    """Check stored rows against 200 "stored" answers; requests cut off in flight may add rows."""
    ok = sum(r.ok for r in runs)
    stored = sum(r.stored for r in runs)
    unanswered = sum(r.unanswered for r in runs)
    return {
        "rows": rows,
        "ok_200": ok,
        "stored_200": stored,
        "unanswered": unanswered,
        "passed": stored == ok and ok <= rows <= ok + unanswered,
    }


def machine() -> dict[str, object]:
    """Return the facts that make figures comparable: cores, CPU model, load at the start."""
    models = [
        line.split(":", 1)[1].strip()
        for line in Path("/proc/cpuinfo").read_text().splitlines()
        if line.startswith("model name")
    ]
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": models[0] if models else "unknown",
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def as_json(result: LoadResult) -> dict[str, float]:
    """Return a run's fields and its rps for the JSON file."""
    return {**asdict(result), "rps": result.rps}


def verdict(passed: bool) -> str:
    """Spell a check's outcome."""
    return "PASS" if passed else "FAIL"


def write_results(
    name: str,
    facts: dict[str, Any],
    settings: dict[str, Any],
    summary: dict[str, dict[str, float]],
    runs: dict[str, list[LoadResult]],
    ratios: dict[str, float | bool],
    check_key: str,
    check: dict[str, int | bool],
) -> None:
    """Write ``bench/results/<name>.json``; exit 1 when the check failed or a target answered non-2xx."""
    output = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": facts,
        "settings": settings,
        "targets": {
            target: {**summary[target], "runs": [as_json(r) for r in runs[target]]} for target in summary
        },
        "ratios": ratios,
        check_key: check,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(output, indent=2) + "\n")
    print(f"\nwrote {path.relative_to(ROOT)}")
    if not check["passed"] or any(s["non_2xx"] for s in summary.values()):
        raise SystemExit(1)


def report(summary: dict[str, dict[str, float]], check: dict[str, int | bool]) -> dict[str, float | bool]:
    """Print the table, the ratios against the targets and the durability check; return the ratios."""
    print_table(summary)
    bare, ours = summary[BARE.name], summary[OURS.name]
    ratios: dict[str, float | bool] = {
        "rps": ours["rps"] / bare["rps"],
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
    print(
        f"worker CPU  storeflow/bare = {ratios['cpu_per_request']:.2f}x per request"
        " (no target; PostgreSQL's own CPU comes on top for storeflow)"
    )
    print(
        f"durability  webhook_event rows {check['rows']} vs {check['ok_200']} answers 200"
        f" ({check['stored_200']} said stored), {check['unanswered']} cut off in flight"
        f" -> {verdict(bool(check['passed']))}"
    )
    return ratios


def calibrate(load: Load, args: argparse.Namespace) -> None:
    """Load the bare app under every server preset, alternately, to pick the settings that serve it best."""
    print(f"calibrating on the bare app, {load.describe()}, {args.warmup} s warm-up + {args.duration} s")
    with ExitStack() as stack:
        servers = {
            name: stack.enter_context(
                serve(Target(f"bare-{name}", BARE.app), preset.args(args.connections), dict(os.environ))
            )
            for name, preset in SERVER_PRESETS.items()
        }
        runs = measure(load, servers, args)
    summary = {name: summarize(runs[name]) for name in servers}
    print_table(summary)
    best = max(summary, key=lambda name: summary[name]["rps"])
    print(
        f"\nbest for the bare app: {best} (gunicorn {' '.join(SERVER_PRESETS[best].args(args.connections))})"
    )


def main() -> None:
    """Set up, load both apps alternately, check durability, print and save the figures."""
    args = parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    facts = machine()
    with tempfile.TemporaryDirectory(prefix="storeflow-bench-") as workdir:
        load = Load(pick_loader(args.loader), args.connections, Path(workdir))
        if args.calibrate:
            calibrate(load, args)
            return
        settings = SERVER_PRESETS[args.server].args(args.connections)
        print(f"machine: {facts['nproc']} x {facts['cpu']}, load average {facts['loadavg']}")
        print(f"server:  gunicorn {' '.join(settings)} (both apps), 127.0.0.1 only")
        print(f"load:    {load.describe()}, {args.warmup} s warm-up + {args.duration} s per run")
        print(f"payload: {SAMPLE.name} ({SAMPLE.stat().st_size} bytes), topic {TOPIC}\n")
        with bench_database() as database_url:
            env = app_env(database_url)
            prepare_database(env)
            with ExitStack() as stack:
                servers = {
                    BARE.name: stack.enter_context(serve(BARE, settings, env)),
                    OURS.name: stack.enter_context(serve(OURS, settings, env)),
                }
                runs = measure(load, servers, args)
            check = durability(runs[OURS.name] + runs[f"{OURS.name}/warmup"], count_events(database_url))
    summary = {name: summarize(runs[name]) for name in servers}
    ratios = report(summary, check)
    settings_used = {
        "server": f"gunicorn {' '.join(settings)}",
        "load": load.describe(),
        "connections": args.connections,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "payload": SAMPLE.name,
    }
    write_results("ingest", facts, settings_used, summary, runs, ratios, "durability", check)


if __name__ == "__main__":
    main()
