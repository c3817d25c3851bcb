"""README's commands on their own defaults: with nothing set, each works in development, in a fresh
directory, as a real process; in production, a missing variable stops it with one friendly line."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WSGI = str(ROOT / "wsgi.py")


def empty_environment(**variables: str) -> dict[str, str]:
    """Only what a shell needs to find programs: no Storeflow variable at all (unless given)."""
    return {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": "/nonexistent", **variables}


def run(args: list[str], cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=empty_environment(**variables), capture_output=True, text=True, timeout=120
    )


def flask(*args: str) -> list[str]:
    """``flask --app wsgi …`` as README writes it, naming the file so it runs from any directory."""
    return [str(BIN / "flask"), "--app", WSGI, *args]


def test_flask_help_lists_storeflow_commands_with_nothing_set(tmp_path):
    result = run(flask("--help"), tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "storeflow" in result.stdout
    assert "db" in result.stdout


def test_db_upgrade_makes_a_sqlite_database_with_nothing_set(tmp_path):
    result = run(flask("db", "upgrade"), tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "instance" / "storeflow.db").stat().st_size > 0


def test_the_app_factory_builds_an_app_with_nothing_set(tmp_path):
    script = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
        "from app.web.factory import create_app; create_app(); print('ok')"
    )

    result = run([sys.executable, "-c", script], tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[str]:
    """``flask --app wsgi run`` with nothing set, on a free port; stopped by its own pid afterwards."""
    assert run(flask("db", "upgrade"), tmp_path).returncode == 0
    port = _free_port()
    process = subprocess.Popen(
        flask("run", "--port", str(port)),
        cwd=tmp_path,
        env=empty_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"flask run did not start: {process.stderr.read() if process.stderr else ''}"
                    ) from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_flask_run_serves_the_home_page_and_answers_a_shopify_launch_without_a_500(dev_server):
    home = requests.get(f"{dev_server}/", timeout=5)
    launch = requests.get(
        f"{dev_server}/admin?embedded=1&shop=demo-shop.myshopify.com&host=YWRtaW4",
        timeout=5,
        allow_redirects=False,
    )
    webhook = requests.post(f"{dev_server}/webhooks/shopify", data=b"{}", timeout=5)

    assert home.status_code == 200
    assert launch.status_code == 404
    assert "Shopify" in launch.text
    assert webhook.status_code == 404


@pytest.mark.parametrize(
    ("switched_on", "missing"),
    [
        ({"SHOPIFY_API_KEY": "client-id"}, "SHOPIFY_API_SECRET"),
        ({"SALEOR_ALLOWED_API_URLS": "https://*.saleor.cloud/graphql/"}, "SECRET_KEY"),
    ],
    ids=["shopify without its secret", "saleor without the secrets"],
)
def test_production_with_a_variable_missing_stops_with_one_line(tmp_path, switched_on, missing):
    result = run(flask("db", "upgrade"), tmp_path, STOREFLOW_ENV="production", **switched_on)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("Storeflow cannot start:")
    assert missing in result.stderr
