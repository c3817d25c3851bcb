"""``flask storeflow ...`` commands for operators and the demo."""

from __future__ import annotations

import json

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


@storeflow_cli.command("admin-link")
@click.argument("domain")
@click.option("--platform", default="shopify", show_default=True)
def admin_link_command(domain: str, platform: str) -> None:
    """Print a 10-minute login link to one shop's admin."""
    from sqlalchemy import select

    from app.admin.auth import login_link_token
    from app.extensions import db
    from app.models import Shop
    from app.services import current_services

    shop = db.session.scalars(select(Shop).filter_by(platform=platform, domain=domain)).first()
    if shop is None:
        raise click.ClickException(f"no {platform} shop {domain!r}")
    config = current_services().config
    click.echo(f"{config.app_url}/admin/login/{login_link_token(config.secret_key, shop.id)}")


@storeflow_cli.command("storefront-key")
@click.argument("domain")
@click.option("--platform", default="shopify", show_default=True)
def storefront_key_command(domain: str, platform: str) -> None:
    """Print a shop's storefront key, its snippet tag and its web pixel settings."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Shop
    from app.services import current_services

    shop = db.session.scalars(select(Shop).filter_by(platform=platform, domain=domain)).first()
    if shop is None:
        raise click.ClickException(f"no {platform} shop {domain!r}")
    app_url, key = current_services().config.app_url, shop.storefront_key
    click.echo(f"storefront key: {key}")
    click.echo(f'snippet: <script src="{app_url}/static/storeflow.js" data-key="{key}" async></script>')
    pixel = json.dumps({"storefrontKey": key, "endpoint": f"{app_url}/storefront/events"})
    click.echo(f"web pixel settings: {pixel}")


@storeflow_cli.command("vapid-keys")
def vapid_keys_command() -> None:
    """Print a new web push key pair to set as VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY, once."""
    from app.push.vapid import new_key_pair

    private_key, public_key = new_key_pair()
    click.echo(f"VAPID_PRIVATE_KEY={private_key}")
    click.echo(f"VAPID_PUBLIC_KEY={public_key}")
