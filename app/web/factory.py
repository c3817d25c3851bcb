"""The Flask application factory: binds the database, services, blueprints and webhook doors."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, request
from redis import Redis

from app.channels.registry import ChannelSet
from app.core.clock import Clock, clock_from_settings
from app.core.config import INSTANCE_DIR, Config, not_served_reason
from app.core.crypto import TokenCipher, TokenDecryptionError
from app.core.logs import configure_logging
from app.db import db
from app.jobs.services import Services, attach_services
from app.web import i18n, query_params
from app.web.extensions import csrf, migrate, sqlalchemy
from app.web.framing import protect_from_framing
from app.web.sessions import CookieSessionExceptWebhooks

log = logging.getLogger(__name__)


def create_app(
    config: Config | None = None,
    clock: Clock | None = None,
    redis_factory: Callable[[Config], Redis] | None = None,
    channels: ChannelSet | None = None,
) -> Flask:
    """Build an app from a configuration (the environment's when none is given)."""
    config = config or Config.from_env()
    configure_logging(config.log_level, config.log_format)
    # SendGrid's HTTP client logs every request's headers at DEBUG, Authorization (the API key) included.
    logging.getLogger("python_http_client").setLevel(logging.INFO)
    _warn_about_development_on_a_server(config)
    app = Flask("app", instance_path=str(INSTANCE_DIR))  # "app": templates and static live in app/
    if config.database_url.startswith("sqlite:///"):
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    app.config.update(
        SECRET_KEY=config.secret_key,
        SQLALCHEMY_DATABASE_URI=config.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(config.database_url),
        MAX_CONTENT_LENGTH=config.webhook_max_bytes,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.is_production,
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_CHECK_DEFAULT=False,
        TESTING=config.env == "test",
    )
    app.session_interface = CookieSessionExceptWebhooks()
    sqlalchemy.init_app(app)
    db.bind(sqlalchemy.session)
    migrate.init_app(app, sqlalchemy, directory=str(_migrations_dir()))
    csrf.init_app(app)
    i18n.init_app(app)
    attach_services(
        app,
        Services(
            config=config,
            clock=clock or clock_from_settings(config.clock_speedup, config.clock_epoch),
            cipher=TokenCipher(config.token_encryption_keys),
            redis_factory=redis_factory,
            channel_overrides=channels,
        ),
    )
    query_params.install(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_cli(app)
    _mount_webhook_ingress(app, config)
    protect_from_framing(app)
    app.wsgi_app = query_params.RefuseNulInQuery(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _warn_about_development_on_a_server(config: Config) -> None:
    """Say loudly when development settings (a published SECRET_KEY among them) run on a real database."""
    if config.env == "development" and not config.database_url.startswith("sqlite"):
        logging.getLogger(__name__).warning(
            "running in development with a server database: the development SECRET_KEY lets anyone mint "
            "admin login links; set STOREFLOW_ENV=production for any deployment others can reach"
        )


def _mount_webhook_ingress(app: Flask, config: Config) -> None:
    """Answer webhooks and storefront events at the WSGI layer, before Flask (app/web/webhooks/ingress.py).

    A platform this deployment does not serve gets a receiver that answers 404 with the reason: its
    own needs secrets that are not set (a Saleor-only deployment has no Shopify client secret).
    """
    from app.platforms.saleor.installation import PLATFORM as SALEOR
    from app.platforms.shopify.app_proxy import APP_PROXY_PATH, AppProxyVerifier
    from app.platforms.shopify.installation import PLATFORM as SHOPIFY
    from app.web.storefront.ingress import StorefrontIngress
    from app.web.storefront.receiver import StorefrontReceiver
    from app.web.webhooks.ingress import NotServed, Receiver, WebhookIngress
    from app.web.webhooks.saleor import PATH as SALEOR_PATH
    from app.web.webhooks.saleor import SaleorReceiver
    from app.web.webhooks.shopify import PATH, ShopifyReceiver

    services = app.extensions["storeflow"]
    receivers: dict[str, Receiver] = {
        path: receiver(services) if config.serves(platform) else NotServed(not_served_reason(platform))
        for path, platform, receiver in (
            (PATH, SHOPIFY, ShopifyReceiver),
            (SALEOR_PATH, SALEOR, SaleorReceiver),
        )
    }
    webhooks = WebhookIngress(app.wsgi_app, receivers, config.webhook_max_bytes)
    app.wsgi_app = StorefrontIngress(  # type: ignore[method-assign]
        webhooks, StorefrontReceiver(services), signed_paths={APP_PROXY_PATH: AppProxyVerifier(config)}
    )


def _engine_options(database_url: str) -> dict[str, object]:
    if database_url.startswith("sqlite"):
        # Web and worker processes share the file; wait for the writer instead of failing.
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


def _migrations_dir() -> object:
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "migrations"


def _register_blueprints(app: Flask) -> None:
    from app.web.admin import bp as admin_bp
    from app.web.admin.audit_api import bp as audit_api_bp
    from app.web.health import bp as health_bp
    from app.web.home import bp as home_bp
    from app.web.install.saleor import bp as saleor_app_bp
    from app.web.install.shopify import bp as shopify_install_bp
    from app.web.messages.clicks import bp as clicks_bp
    from app.web.messages.confirm import bp as confirm_bp
    from app.web.messages.unsubscribe import bp as unsubscribe_bp
    from app.web.metrics import bp as metrics_bp
    from app.web.reports import bp as reports_bp
    from app.web.storefront.app_proxy import bp as app_proxy_bp
    from app.web.storefront.forms import bp as storefront_forms_bp
    from app.web.storefront.notify import bp as notify_bp
    from app.web.storefront.push import bp as storefront_push_bp
    from app.web.storefront.scripts import bp as storefront_scripts_bp
    from app.web.webhooks.sendgrid import bp as sendgrid_webhooks_bp
    from app.web.webhooks.twilio import bp as twilio_webhooks_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(shopify_install_bp)
    app.register_blueprint(saleor_app_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(unsubscribe_bp)
    app.register_blueprint(confirm_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(storefront_forms_bp)
    app.register_blueprint(storefront_push_bp)
    app.register_blueprint(storefront_scripts_bp)
    app.register_blueprint(app_proxy_bp)
    app.register_blueprint(clicks_bp)
    app.register_blueprint(sendgrid_webhooks_bp)
    app.register_blueprint(twilio_webhooks_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(audit_api_bp)


def _register_error_handlers(app: Flask) -> None:
    app.register_error_handler(TokenDecryptionError, _stored_secret_unreadable)


def _stored_secret_unreadable(exc: TokenDecryptionError) -> Response:
    """A stored secret no configured key decrypts: our configuration, answered without a traceback."""
    log.error(
        "%s %s not served (503): %s; put the key it was encrypted with back into TOKEN_ENCRYPTION_KEY"
        " (README, Rotating TOKEN_ENCRYPTION_KEY)",
        request.method,
        request.path,
        exc,
    )
    return Response(
        "server configuration problem: a stored credential cannot be read",
        status=503,
        mimetype="text/plain",
        headers={"Retry-After": "300"},
    )


def _register_cli(app: Flask) -> None:
    from app.web.cli import storeflow_cli
    from app.web.saleor_cli import saleor_cli

    app.cli.add_command(storeflow_cli)
    app.cli.add_command(saleor_cli)
