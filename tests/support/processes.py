"""Storeflow's own processes, for real: the Procfile's ``web`` command and ``flask storeflow worker``.

The test of the slow-client defence (tests/test_slow_clients.py) and its benchmark
(bench/slow_clients.py) share the web pieces, so both exercise exactly what the Procfile deploys:
the command is read from the Procfile and only its bind address is moved to loopback. The worker's
supervision test (tests/test_worker_supervision.py) starts the worker role and finds its children.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from webhooks.shopify.verify import sign

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "Procfile"
PUBLIC_BIND = "0.0.0.0:"
LOOPBACK_BIND = "127.0.0.1:"


def procfile_web_command(procfile: Path = PROCFILE) -> str:
    """Return the Procfile's web command, bound to loopback instead of every interface."""
    for line in procfile.read_text().splitlines():
        role, _, command = line.partition(":")
        if role.strip() == "web":
            return command.strip().replace(PUBLIC_BIND, LOOPBACK_BIND)
    raise LookupError(f"{procfile} has no web role")


def process_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a Storeflow process under test: the test settings, real services."""
    from tests.support.shopify import TEST_CLIENT_ID, TEST_SECRET

    return {
        "PATH": os.environ.get("PATH", ""),
        "STOREFLOW_ENV": "test",
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "APP_URL": "https://storeflow.test",
        "SHOPIFY_API_KEY": TEST_CLIENT_ID,
        "SHOPIFY_API_SECRET": TEST_SECRET,
        "MAIL_FROM": "shop@storeflow.test",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def web_process(env: dict[str, str], command: str | None = None, log: Path | None = None) -> Iterator[str]:
    """Run the web command (the Procfile's by default) on a free loopback port; yield its base URL."""
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)
    full_env = {**env, "PORT": str(port), "PATH": f"{bin_dir}:{env.get('PATH', os.environ.get('PATH', ''))}"}
    out = log.open("wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        ["sh", "-c", command or procfile_web_command()],
        cwd=ROOT,
        env=full_env,
        stdout=out,
        stderr=out,
        start_new_session=True,  # its workers are stopped with it, as a group
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if log:
            out.close()  # type: ignore[union-attr]


def _wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web process exited ({process.returncode})")
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1).close()
            return
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.2)
    raise RuntimeError("the web process did not answer /healthz within 30 s")


class SlowClients:
    """Connections that send a request a byte at a time, every ``interval`` seconds, until closed.

    Half of them dribble their headers (slowloris), half send whole headers announcing a body
    and then dribble the body: the two ways a slow client can hold a server that reads as it goes.
    """

    def __init__(self, url: str, count: int, interval: float = 2.0, path: str = "/webhooks/shopify") -> None:
        host, port = url.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.count = count
        self.interval = interval
        self.path = path
        self.sockets: list[socket.socket] = []
        self.pending: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._dribble, daemon=True)

    def open(self) -> SlowClients:
        for n in range(self.count):
            sock = socket.create_connection(self.address, timeout=5)
            head = f"POST {self.path} HTTP/1.1\r\nHost: {self.address[0]}\r\n"
            head += "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            if n % 2:
                sock.sendall(head.encode())  # headers whole, then the body a byte at a time
                self.pending.append(b"{" + b" " * 99_999)
            else:
                sock.sendall(head[:10].encode())  # the headers themselves, a byte at a time
                self.pending.append(head[10:].encode())
            self.sockets.append(sock)
        self._thread.start()
        return self

    def _dribble(self) -> None:
        while not self._stop.wait(self.interval):
            for n, sock in enumerate(self.sockets):
                if not self.pending[n]:
                    continue
                try:
                    sock.send(self.pending[n][:1])
                    self.pending[n] = self.pending[n][1:]
                except OSError:
                    self.pending[n] = b""  # the server closed it: that is a defence, not a failure

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval + 1)
        for sock in self.sockets:
            sock.close()

    def __enter__(self) -> SlowClients:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Probe:
    """One request a platform or a load balancer would make, and how it went."""

    name: str
    status: int | None  # None: no answer within the timeout
    seconds: float


def probe_health(url: str, timeout: float) -> Probe:
    return _timed("healthz", urllib.request.Request(f"{url}/healthz"), timeout)


def probe_webhook(url: str, timeout: float, body: bytes, secret: str, shop_domain: str) -> Probe:
    """POST one distinct, correctly signed Shopify checkout webhook."""
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "checkouts/create",
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Hmac-Sha256": sign(body, secret),
    }
    request = urllib.request.Request(f"{url}/webhooks/shopify", data=body, headers=headers, method="POST")
    return _timed("webhook", request, timeout)


def _timed(name: str, request: urllib.request.Request, timeout: float) -> Probe:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status: int | None = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:  # timeouts included
        status = None
    return Probe(name, status, time.monotonic() - started)


@contextmanager
def worker_process(env: dict[str, str], log: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``flask --app wsgi storeflow worker`` (the Procfile's worker role); stop it with SIGTERM."""
    flask = str(Path(sys.executable).parent / "flask")
    out = log.open("wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [flask, "--app", "wsgi", "storeflow", "worker"], cwd=ROOT, env=env, stdout=out, stderr=out
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pid in live_children(process.pid):  # never leave a child behind, whatever went wrong
            os.kill(pid, signal.SIGKILL)
        if log:
            out.close()  # type: ignore[union-attr]


def live_children(pid: int) -> list[int]:
    """Return the process ids of a process's children that are running (zombies left out)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return sorted(found)


def is_zombie(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False  # gone: reaped
