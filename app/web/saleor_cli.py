"""``flask saleor ...`` commands for operators."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.db import db
from app.db.models import Shop
from app.jobs.installs import queue_saleor_webhook_sync
from app.jobs.services import current_services
from app.platforms.saleor.installation import PLATFORM

saleor_cli = AppGroup("saleor", help="Saleor installations.")


@saleor_cli.command("sync-webhooks")
def sync_webhooks_command() -> None:
    """Queue a webhook update for every installation whose subscription queries are out of date."""
    services = current_services()
    shops = db.session.scalars(select(Shop).filter_by(platform=PLATFORM)).all()
    queued = sum(1 for shop in shops if queue_saleor_webhook_sync(shop, services))
    click.echo(f"queued a webhook update for {queued} of {len(shops)} Saleor installation(s)")
