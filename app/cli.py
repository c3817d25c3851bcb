"""``flask storeflow ...`` commands for operators and the demo."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

storeflow_cli = AppGroup("storeflow", help="Storeflow operations.")


@storeflow_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run the RQ worker (with scheduler) and the webhook relay."""
    from app.jobs.worker import run_worker

    run_worker(current_app._get_current_object(), burst=burst)  # type: ignore[attr-defined]
