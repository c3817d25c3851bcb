"""Storeflow: the Flask application factory."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask
from redis import Redis

from app import query_params
from app.channels.registry import ChannelSet
from app.clock import Clock, clock_from_settings
from app.config import INSTANCE_DIR, Config
from app.crypto import TokenCipher
from app.extensions import csrf, db, migrate
from app.services import Services, attach_services
from app.sessions import CookieSessionExceptWebhooks


def create_app(
    config: Config | None = None,
    clock: Clock | None = None,
    redis_factory: Callable[[Config], Redis] | None = None,
    channels: ChannelSet | None = None,
) -> Flask:
    """Build an app from a configuration (the environment's when none is given)."""
    config = config or Config.from_env()
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
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
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    csrf.init_app(app)
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
    _register_cli(app)
    _mount_webhook_ingress(app, config)
    app.wsgi_app = query_params.RefuseNulInQuery(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _mount_webhook_ingress(app: Flask, config: Config) -> None:
    """Answer webhooks and storefront events at the WSGI layer, before Flask (webhooks/ingress.py)."""
    from app.storefront.ingress import StorefrontIngress
    from app.storefront.receiver import StorefrontReceiver
    from webhooks.ingress import Receiver, WebhookIngress
    from webhooks.saleor.views import PATH as SALEOR_PATH
    from webhooks.saleor.views import SaleorReceiver
    from webhooks.shopify.receiver import PATH, ShopifyReceiver

    services = app.extensions["storeflow"]
    receivers: dict[str, Receiver] = {PATH: ShopifyReceiver(services), SALEOR_PATH: SaleorReceiver(services)}
    webhooks = WebhookIngress(app.wsgi_app, receivers, config.webhook_max_bytes)
    app.wsgi_app = StorefrontIngress(webhooks, StorefrontReceiver(services))  # type: ignore[method-assign]


def _engine_options(database_url: str) -> dict[str, object]:
    if database_url.startswith("sqlite"):
        # Web and worker processes share the file; wait for the writer instead of failing.
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


def _migrations_dir() -> object:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _register_blueprints(app: Flask) -> None:
    from app.admin import bp as admin_bp
    from app.admin.audit_api import bp as audit_api_bp
    from app.health import bp as health_bp
    from app.messaging.clicks import bp as clicks_bp
    from app.messaging.confirm import bp as confirm_bp
    from app.messaging.unsubscribe import bp as unsubscribe_bp
    from app.reports.views import bp as reports_bp
    from app.saleor.views import bp as saleor_app_bp
    from app.shopify.views import bp as shopify_install_bp
    from app.storefront.notify import bp as notify_bp
    from app.storefront.push import bp as storefront_push_bp
    from webhooks.sendgrid.views import bp as sendgrid_webhooks_bp
    from webhooks.twilio.views import bp as twilio_webhooks_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(shopify_install_bp)
    app.register_blueprint(saleor_app_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(unsubscribe_bp)
    app.register_blueprint(confirm_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(storefront_push_bp)
    app.register_blueprint(clicks_bp)
    app.register_blueprint(sendgrid_webhooks_bp)
    app.register_blueprint(twilio_webhooks_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(audit_api_bp)


def _register_cli(app: Flask) -> None:
    from app.cli import storeflow_cli
    from app.saleor.cli import saleor_cli

    app.cli.add_command(storeflow_cli)
    app.cli.add_command(saleor_cli)
