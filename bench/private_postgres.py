"""A PostgreSQL cluster of a fault scenario's own, so restarting it never touches anyone else's.

``initdb`` into a temporary directory, ``pg_ctl`` on a free loopback port (its socket in that same
directory), trust authentication for ``postgres``, default durability settings (``fsync`` and
``synchronous_commit`` on, like the shared cluster). PostgreSQL refuses to run as root, so when the
script runs as root every server command runs as the ``postgres`` user (``runuser``), and the
directory is handed to that user first. Stopping removes the directory.

    with private_postgres() as cluster:
        cluster.database_url  # postgresql://postgres@127.0.0.1:<port>/storeflow
        cluster.restart()
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from bench.ingest import free_port

BINARIES = Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin"))
SERVER_USER = "postgres"
DATABASE = "storeflow"


class PrivatePostgresError(RuntimeError):
    """The private cluster could not be created, started or restarted; its log says why."""


class PrivatePostgres:
    """One throwaway cluster: create, start, restart, stop."""

    def __init__(self) -> None:
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="storeflow-pg-"))
        self.data = self.home / "data"
        self.log = self.home / "server.log"

    @property
    def admin_url(self) -> str:
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/postgres"

    @property
    def database_url(self) -> str:
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/{DATABASE}"

    def create(self) -> None:
        """Run initdb, start the server and create the scenario's empty database."""
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVER_USER)
            os.chown(self.home, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", SERVER_USER, "--auth=trust", "-E", "UTF8")
        self.start()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def start(self) -> None:
        self._pg_ctl("start", "-o", self._settings(), "-l", str(self.log))

    def restart(self) -> float:
        """Restart the server, ending every session as a real restart does; return the seconds it took."""
        started = time.monotonic()
        self._pg_ctl("restart", "-m", "fast", "-o", self._settings(), "-l", str(self.log))
        return time.monotonic() - started

    def stop(self) -> None:
        """Stop the server (if it runs) and remove its directory."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._pg_ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.home, ignore_errors=True)

    def _settings(self) -> str:
        return f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.home}"

    def _pg_ctl(self, action: str, *options: str) -> None:
        self._run("pg_ctl", action, "-D", str(self.data), "-w", "-t", "60", *options)

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(BINARIES / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise PrivatePostgresError(f"{program} {arguments[0]} failed: {done.stderr.strip()}\n{log}")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """Create and start a private cluster; yield it; stop and remove it whatever happened."""
    cluster = PrivatePostgres()
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.stop()
