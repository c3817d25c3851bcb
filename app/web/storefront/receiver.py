"""Accept storefront events: name the shop, check the origin, check the events, admit them to the buffer.

Browsers send our snippet's posts as ``text/plain`` (no preflight); anything else gets a preflight,
answered for the shop's own origins only. Shopify web pixels run in a sandbox with an opaque origin,
so a Shopify shop also takes posts whose ``Origin`` is ``null`` (or missing) when the page they
report is on one of its origins; such answers carry no CORS header (the pixel does not read them).
A post through a platform's signed path (Shopify's app proxy, ``receive_signed``) needs no origin:
the platform's signature names the shop and the logged-in customer, the one login we trust.
Nothing here writes to the database: an accepted post is one Redis round trip (``buffer.py``).
If Redis is unreachable the post is dropped with a 503: storefront events are best-effort signals
(ad blockers drop more), and writing them straight to PostgreSQL would expose it to an unthrottled
flood exactly when the limiter is down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.jobs.event_buffer import EventBuffer
from app.jobs.platforms import platforms_of
from app.jobs.services import Services
from app.storefront.buffer import Limits
from app.storefront.errors import (
    EventsUnavailableError,
    ForeignOriginError,
    RateLimitedError,
    StorefrontError,
    UnknownStorefrontError,
)
from app.storefront.logins import LoginVerifier
from app.storefront.origins import origin_of
from app.storefront.schema import EventBatch, parse_batch
from app.storefront.sites import Site, SiteDirectory
from app.web.errors import status_for
from app.web.webhooks.ingress import Reply

log = logging.getLogger(__name__)

OPAQUE_ORIGINS = frozenset({"", "null"})
PREFLIGHT_MAX_AGE = "86400"
REDIS_TIMEOUT_SECONDS = 0.5

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Answer:
    reply: Reply
    headers: Headers = ()


class StorefrontReceiver:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.sites = SiteDirectory(platforms_of(services))
        self._buffer: EventBuffer | None = None

    def preflight(self, origin: str, key: str) -> Answer:
        """Answer a CORS preflight: allowed for the shop's own origins, refused for any other."""
        try:
            site = self._site(key)
            if origin not in site.origins:
                raise ForeignOriginError(f"{origin or 'no origin'} is not a storefront of this shop")
        except StorefrontError as exc:
            return Answer(Reply.error(status_for(exc), str(exc)))
        return Answer(
            Reply(204, b""),
            (
                *_cors(origin),
                ("Access-Control-Allow-Methods", "POST"),
                ("Access-Control-Allow-Headers", "Content-Type"),
                ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE),
            ),
        )

    def receive(self, origin: str, key: str, raw: bytes) -> Answer:
        """Take one post of events from a storefront page."""
        cors: Headers = ()
        try:
            site = self._site(key)
            batch = parse_batch(raw)
            cors = self._check_origin(site, origin, batch)
            self._admit(site, batch)
        except StorefrontError as exc:
            return _refused(exc, cors)
        return Answer(Reply.status("accepted", 202), cors)

    def receive_signed(self, verify: LoginVerifier, url: str, raw: bytes) -> Answer:
        """Take one post a platform forwarded and signed: its logged-in customer is proven, not claimed."""
        try:
            login = verify(url)
            site = self._installed(lambda engine: self.sites.by_domain(engine, login), login.shop_domain)
            self._admit(site, replace(parse_batch(raw), logged_in_customer_id=login.customer_id))
        except StorefrontError as exc:
            return _refused(exc, ())
        return Answer(Reply.status("accepted", 202))

    def _site(self, key: str) -> Site:
        if not key:
            raise UnknownStorefrontError("the k query parameter (the storefront key) is missing")
        return self._installed(lambda engine: self.sites.lookup(engine, key), "this storefront key")

    def _installed(self, find: Callable[[Engine], Site | None], named: str) -> Site:
        """Return the installed shop ``find`` names, or raise why there is none."""
        try:
            site = find(self.services.inbox.engine)
        except SQLAlchemyError as exc:  # the database is down: say so, never a 500
            raise EventsUnavailableError(f"shop lookup failed: {type(exc).__name__}") from exc
        if site is None or not site.installed:
            raise UnknownStorefrontError(f"no installed shop has {named}")
        return site

    def _check_origin(self, site: Site, origin: str, batch: EventBatch) -> Headers:
        """Return the CORS headers for an allowed origin; refuse a foreign one."""
        if origin in site.origins:
            return _cors(origin)
        if site.web_pixel and origin in OPAQUE_ORIGINS and origin_of(batch.page) in site.origins:
            return ()  # a web pixel in its platform's sandbox (Shopify's), reporting a page of this shop
        raise ForeignOriginError(f"{origin or 'no origin'} is not a storefront of this shop")

    def _admit(self, site: Site, batch: EventBatch) -> None:
        try:
            self._event_buffer().admit(site.shop_id, batch, self.services.clock.now())
        except RedisError as exc:
            raise EventsUnavailableError(f"Redis is unavailable: {exc}") from exc

    def _event_buffer(self) -> EventBuffer:
        if self._buffer is None:
            config = self.services.config
            self._buffer = EventBuffer(
                _redis(self.services),
                Limits(config.storefront_visitor_events_per_minute, config.storefront_shop_events_per_minute),
            )
        return self._buffer


def _refused(exc: StorefrontError, cors: Headers) -> Answer:
    """Answer a refusal with its status; a rate limit also says when to come back."""
    if isinstance(exc, RateLimitedError):
        return Answer(Reply.error(status_for(exc), str(exc)), (*cors, ("Retry-After", str(exc.retry_after))))
    if isinstance(exc, EventsUnavailableError):
        log.warning("storefront events dropped (503): %s", exc)
    else:
        log.debug("storefront events refused (%s): %s", status_for(exc), exc)
    return Answer(Reply.error(status_for(exc), str(exc)), cors)


def _cors(origin: str) -> Headers:
    return (("Access-Control-Allow-Origin", origin), ("Vary", "Origin"))


def _redis(services: Services) -> Redis:
    """Connect with short timeouts: a slow Redis must cost a shopper's page half a second at most."""
    config = services.config
    if not config.redis_url:
        return services.redis  # the embedded development server
    options: dict[str, object] = {
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    }
    if config.redis_url.startswith("rediss://") and config.redis_tls_insecure:
        options["ssl_cert_reqs"] = None
    return Redis.from_url(config.redis_url, **options)
