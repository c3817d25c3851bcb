"""``flask storeflow ...`` commands for operators and the demo."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, BinaryIO, TextIO

import click
from flask import current_app
from flask.cli import AppGroup

if TYPE_CHECKING:
    from app.db.models import Shop
    from app.sync.state import Progress

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

    from app.db import db
    from app.db.models import Shop
    from app.jobs.services import current_services
    from app.web.admin.auth import login_link_token

    shop = db.session.scalars(select(Shop).filter_by(platform=platform, domain=domain)).first()
    if shop is None:
        raise click.ClickException(f"no {platform} shop {domain!r}")
    config = current_services().config
    click.echo(f"{config.app_url}/admin/login/{login_link_token(config.secret_key, shop.id)}")


@storeflow_cli.command("rotate-tokens")
def rotate_tokens_command() -> None:
    """Re-encrypt every stored token and provider secret with the newest TOKEN_ENCRYPTION_KEY.

    Run it after putting a new key first in TOKEN_ENCRYPTION_KEY and before dropping the old one
    (README, "Rotating TOKEN_ENCRYPTION_KEY"). Each shop is rotated in its own transaction with its
    row locked, so a token refreshed meanwhile is never overwritten with the old one.
    """
    from sqlalchemy import select

    from app.db import db
    from app.db.models import Shop
    from app.jobs.services import current_services
    from app.shops.token_rotation import RotationReport, rotate_shop_secrets

    cipher = current_services().cipher
    report = RotationReport()
    for shop_id in db.session.scalars(select(Shop.id).order_by(Shop.id)).all():
        shop = db.session.get(Shop, shop_id, with_for_update=True)
        if shop is not None:
            rotate_shop_secrets(shop, cipher, report)
        db.session.commit()
    click.echo(
        f"re-encrypted {report.rotated} secret(s) of {report.shops} shop(s) with the newest key; "
        f"{report.current} already were"
    )
    if report.undecryptable:
        raise click.ClickException(
            f"{len(report.undecryptable)} secret(s) decrypt with no configured key and were left as they"
            " are; put the key they were made with back into TOKEN_ENCRYPTION_KEY and run this again:\n  "
            + "\n  ".join(report.undecryptable)
        )


@storeflow_cli.command("storefront-key")
@click.argument("domain")
@click.option("--platform", default="shopify", show_default=True)
def storefront_key_command(domain: str, platform: str) -> None:
    """Print a shop's storefront key, its snippet tag and its web pixel settings."""
    from sqlalchemy import select

    from app.db import db
    from app.db.models import Shop
    from app.jobs.services import current_services

    shop = db.session.scalars(select(Shop).filter_by(platform=platform, domain=domain)).first()
    if shop is None:
        raise click.ClickException(f"no {platform} shop {domain!r}")
    app_url, key = current_services().config.app_url, shop.storefront_key
    click.echo(f"storefront key: {key}")
    click.echo(f'snippet: <script src="{app_url}/storefront/storeflow.js?k={key}" async></script>')
    pixel = json.dumps({"storefrontKey": key, "endpoint": f"{app_url}/storefront/events"})
    click.echo(f"web pixel settings: {pixel}")


@storeflow_cli.group("flows")
def flows_cli() -> None:
    """Export and import a shop's flow settings as YAML or JSON files."""


@flows_cli.command("export")
@click.option("--shop", "domain", required=True, help="The shop's domain.")
@click.option("--platform", default="shopify", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option("--output", "-o", type=click.File("w"), default="-", help="File to write (default: stdout).")
def export_flows_command(domain: str, platform: str, fmt: str, output: TextIO) -> None:
    """Write every flow's settings of one shop to a file."""
    from app.db import db
    from flows.files import dump, export_document

    shop = _find_shop(domain, platform)
    output.write(dump(export_document(db.session(), shop.id), fmt))


@flows_cli.command("import")
@click.option("--shop", "domain", required=True, help="The shop's domain.")
@click.option("--platform", default="shopify", show_default=True)
@click.argument("source", type=click.File("rb"))
def import_flows_command(domain: str, platform: str, source: BinaryIO) -> None:
    """Check a flow file and store its settings in one shop: all of it, or nothing."""
    from app.db import db
    from flows.files import MAX_FILE_BYTES, FlowFileError, import_text

    shop = _find_shop(domain, platform)
    try:
        imported = import_text(db.session(), shop.id, source.read(MAX_FILE_BYTES + 1))
    except FlowFileError as exc:
        db.session.rollback()
        raise click.ClickException("nothing imported:\n  " + "\n  ".join(exc.problems)) from None
    db.session.commit()
    click.echo(f"imported settings of {len(imported)} flow(s) into {platform} shop {domain}")


def _find_shop(domain: str, platform: str) -> Shop:
    from sqlalchemy import select

    from app.db import db
    from app.db.models import Shop

    shop = db.session.scalars(select(Shop).filter_by(platform=platform, domain=domain)).first()
    if shop is None:
        raise click.ClickException(f"no {platform} shop {domain!r}")
    return shop


@storeflow_cli.command("sync-history")
@click.argument("domain")
@click.option("--platform", default="shopify", show_default=True)
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Wait here while the platform prepares the records, or leave the rest to the workers.",
)
def sync_history_command(domain: str, platform: str, wait: bool) -> None:
    """Sync one shop's history (customers, products, orders) here, printing its progress.

    Resumes a sync under way instead of starting another; nothing is sent about the past.
    """
    import time

    from app.db import db
    from app.jobs.history import run_history_sync
    from app.jobs.services import current_services
    from app.sync.state import shop_progress, start_sync, states_of

    shop = _find_shop(domain, platform)
    services = current_services()
    opened = start_sync(db.session(), shop.id, services.clock.now())
    db.session.commit()
    click.echo("sync opened from the start" if opened else "resuming the sync under way")
    while True:
        outcome = run_history_sync(shop.id, on_page=lambda progress: click.echo(progress_line(progress)))
        if outcome == "done":
            for progress in shop_progress(db.session(), shop.id, services.clock.now()):
                click.echo(progress_line(progress))
            return
        if not outcome.startswith("waiting") or not wait:
            click.echo(outcome)
            return
        due = [row.retry_at for row in states_of(db.session(), shop.id).values() if row.retry_at]
        pause = min(due) - services.clock.now() if due else None
        seconds = min(30.0, max(1.0, pause.total_seconds() if pause else 1.0))
        click.echo(f"{outcome}; asking again in {seconds:.0f} s")
        db.session.remove()
        time.sleep(seconds)


def progress_line(progress: Progress) -> str:
    """One resource's progress, as the CLI prints it."""
    total = f" of {progress.total:,}" if progress.total is not None else ""
    percent = f" ({progress.percent}%)" if progress.percent is not None else ""
    parts = [f"{progress.resource.value}: {progress.status.value}, {progress.done:,}{total}{percent}"]
    if progress.rate:
        parts.append(f"{progress.rate:,.0f}/s")
    if progress.eta:
        parts.append(f"about {int(progress.eta.total_seconds())} s left")
    if progress.errors:
        parts.append(f"{progress.errors} error(s)")
    if progress.notice:
        parts.append(progress.notice)
    return " · ".join(parts)


@storeflow_cli.group("events")
def events_cli() -> None:
    """List the webhooks set aside (rejected or quarantined) and replay them once fixed."""


@events_cli.command("quarantined")
@click.option("--shop", "domain", default=None, help="Only this shop's (its domain).")
@click.option("--platform", default="shopify", show_default=True)
def quarantined_command(domain: str | None, platform: str) -> None:
    """Print each event set aside, newest first, with its reason."""
    from app.db import db
    from app.jobs.quarantine import set_aside

    shop_id = _find_shop(domain, platform).id if domain else None
    found = set_aside(db.session(), shop_id)
    if not found:
        click.echo("no quarantined events")
        return
    for event in found:
        received = event.received_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        click.echo(
            f"{event.id} {event.platform} {event.shop_domain} {event.topic} {event.summary}, "
            f"received {received}: {event.reason}"
        )
    click.echo(f"{len(found)} event(s); replay with: flask --app wsgi storeflow events replay ID… | --all")


@events_cli.command("replay")
@click.argument("event_ids", nargs=-1, type=click.IntRange(1, 2**63 - 1))
@click.option("--all", "everything", is_flag=True, help="Every event set aside (of --shop, if given).")
@click.option("--shop", "domain", default=None, help="Only this shop's (its domain).")
@click.option("--platform", default="shopify", show_default=True)
def replay_command(event_ids: tuple[int, ...], everything: bool, domain: str | None, platform: str) -> None:
    """Hand events set aside back to the workers, as if just received; run it once the fault is fixed."""
    from app.db import db
    from app.jobs.quarantine import replay, status_of

    if bool(event_ids) == everything:
        raise click.UsageError("name the event ids to replay, or --all")
    shop_id = _find_shop(domain, platform).id if domain else None
    replayed = replay(db.session(), None if everything else event_ids, shop_id)
    db.session.commit()
    if replayed:
        ids = ", ".join(str(event_id) for event_id in replayed)
        click.echo(f"replayed {len(replayed)} event(s): {ids}; a worker's relay takes them within seconds")
    elif everything:
        click.echo("nothing to replay")
    refused = [
        f"event {event_id} is not quarantined ({status_of(db.session(), event_id) or 'no such event'})"
        for event_id in event_ids
        if event_id not in replayed
    ]
    if refused:
        raise click.ClickException("\n".join(refused))


@storeflow_cli.command("simulate")
@click.option("--shop", "domain", required=True, help="The shop's domain.")
@click.option("--platform", default="shopify", show_default=True)
@click.option("--flow", "flow_key", required=True, help="The flow's key, e.g. abandoned_checkout.")
@click.option("--contact", "email", default=None, help="Run it for this real contact's history.")
@click.option(
    "--scenario", default="engaged", show_default=True, help="Synthetic scenario (without --contact)."
)
@click.option(
    "--days", type=click.IntRange(1, 365), default=60, show_default=True, help="How far the clock may run."
)
def simulate_command(
    domain: str, platform: str, flow_key: str, email: str | None, scenario: str, days: int
) -> None:
    """Show what a flow would send, defer and skip for one shopper, without sending or keeping anything."""
    from datetime import timedelta

    from app.db import db
    from app.jobs.platforms import platforms_of
    from app.jobs.services import current_services
    from app.simulation.errors import SimulationError
    from app.simulation.run import simulate
    from app.simulation.timeline import timeline_text

    shop = _find_shop(domain, platform)
    services = current_services()
    try:
        simulation = simulate(
            db.engine,
            services.config,
            platforms_of(services),
            shop.id,
            flow_key,
            services.clock.now(),
            scenario=scenario,
            email=email,
            horizon=timedelta(days=days),
        )
    except SimulationError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("\n".join(timeline_text(simulation)))


@storeflow_cli.command("vapid-keys")
def vapid_keys_command() -> None:
    """Print a new web push key pair to set as VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY, once."""
    from app.core.vapid import new_key_pair

    private_key, public_key = new_key_pair()
    click.echo(f"VAPID_PRIVATE_KEY={private_key}")
    click.echo(f"VAPID_PUBLIC_KEY={public_key}")


@storeflow_cli.command("status")
def status_command() -> None:
    """Print the queue, due-step lag, failing and set-aside events, and workers; exit 1 when unhealthy.

    The same checks as ``/healthz?deep=1`` (docs/operations.md), for a terminal or a cron job.
    """
    from redis.exceptions import RedisError

    from app.core.clock import utcnow
    from app.db import db
    from app.jobs.health import assess, queue_figures
    from app.jobs.services import current_services

    services = current_services()
    health = assess(db.session(), services.quick_redis, services.clock.now(), utcnow())
    try:
        figures = queue_figures(services.queue)
        click.echo(
            f"queue {figures.name}: {figures.queued} queued, {figures.scheduled} scheduled,"
            f" {figures.failed} failed job(s)"
        )
    except RedisError as exc:
        click.echo(f"queue {services.config.rq_queue}: unavailable ({type(exc).__name__})")
    reading = health.reading
    if reading is not None:
        lag = reading.due_lag.total_seconds()
        click.echo(f"due lag: {lag:.0f} s, {reading.overdue_steps} overdue step(s)")
        failing = sum(reading.failing.values())
        click.echo(
            f"events: {reading.unprocessed} unprocessed ({failing} failing),"
            f" {reading.events_with('rejected')} rejected, {reading.events_with('quarantined')} quarantined"
        )
    for beat in health.workers:
        seen = beat.last_heartbeat.isoformat(timespec="seconds") if beat.last_heartbeat else "never"
        click.echo(f"worker {beat.name}: {beat.state}, last heartbeat {seen}")
    for check in health.checks:
        click.echo(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    if not health.ok:
        raise SystemExit(1)
