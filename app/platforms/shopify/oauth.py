"""OAuth authorization-code grant, for merchants installing Storeflow outside the Shopify admin.

Embedded installs use Shopify-managed install and token exchange (``exchange.py``); this grant is
for the standalone admin. Each step checks what Shopify documents: the hex HMAC of the query string,
the ``state`` nonce bound to this browser's session, the shop domain and the timestamp.
https://shopify.dev/docs/apps/build/authentication-authorization/get-access-tokens/authorization-code-grant
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Iterable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from app.core.config import Config
from app.db.models import Shop
from app.platforms.collaborators import PlatformServices
from app.platforms.shopify.errors import (
    CodeExchangeError,
    InvalidHmacError,
    InvalidStateError,
    StaleRequestError,
)
from app.platforms.shopify.installation import install_shop
from app.platforms.shopify.sdk import normalize_shop_domain, wall_now

log = logging.getLogger(__name__)

OAUTH_SESSION_KEY = "shopify_oauth"
CALLBACK_PATH = "/shopify/callback"
MAX_CALLBACK_AGE = timedelta(hours=24)
CODE_EXCHANGE_TIMEOUT = (5, 15)  # seconds: connect, read


def query_hmac(params: Iterable[tuple[str, str]], secret: str) -> str:
    """Return the hex HMAC-SHA256 Shopify computes over a query string (``hmac`` itself excluded).

    Pairs are sorted by key and joined as ``key=value`` with ``&``; ``%`` and ``&`` (and ``=`` in
    keys) are escaped so a value cannot smuggle in another pair.
    """
    pairs = sorted((k, v) for k, v in params if k not in {"hmac", "signature"})
    message = "&".join(f"{_escape(k, is_key=True)}={_escape(v)}" for k, v in pairs)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _escape(text: str, is_key: bool = False) -> str:
    """Escape the delimiters of the signed message."""
    text = text.replace("%", "%25").replace("&", "%26")
    return text.replace("=", "%3D") if is_key else text


def verify_query_hmac(args: MultiDict[str, str], config: Config) -> None:
    """Raise unless the query's ``hmac`` matches under the current or the previous client secret."""
    received = args.get("hmac", "")
    if not received:
        raise InvalidHmacError("hmac parameter is missing")
    # Shopify never repeats a parameter here; a repeat could mean two readers see different values.
    if any(len(values) > 1 for values in args.listvalues()):
        raise InvalidHmacError("a query parameter is repeated")
    pairs = list(args.items())
    for secret in (config.shopify_api_secret, config.shopify_api_secret_old):
        if secret and hmac.compare_digest(query_hmac(pairs, secret).encode(), received.lower().encode()):
            return
    raise InvalidHmacError("hmac does not match the query string")


def begin_install(config: Config, session: MutableMapping[str, Any], args: MultiDict[str, str]) -> str:
    """Remember a fresh ``state`` for this browser and return Shopify's authorization URL."""
    domain = normalize_shop_domain(args.get("shop"))
    if "hmac" in args:
        verify_query_hmac(args, config)
    state = secrets.token_urlsafe(32)
    session[OAUTH_SESSION_KEY] = {"state": state, "shop": domain}
    # No grant_options[]=per-user: Storeflow needs an offline token that outlives the merchant's login.
    query = urlencode(
        {
            "client_id": config.shopify_api_key,
            "scope": config.shopify_scopes,
            "redirect_uri": config.app_url + CALLBACK_PATH,
            "state": state,
        }
    )
    return f"https://{domain}/admin/oauth/authorize?{query}"


def complete_install(
    db_session: Session,
    services: PlatformServices,
    session: MutableMapping[str, Any],
    args: MultiDict[str, str],
    set_up: Callable[[int], None],
) -> Shop:
    """Check Shopify's redirect, exchange the code for offline tokens, and record the install."""
    expected = session.pop(OAUTH_SESSION_KEY, None)  # single use, whatever happens next
    verify_query_hmac(args, services.config)
    domain = normalize_shop_domain(args.get("shop"))
    _check_state(expected, args.get("state", ""), domain)
    now = wall_now(services.clock)
    _check_fresh(args.get("timestamp", ""), now)
    code = args.get("code", "")
    if not code:
        raise CodeExchangeError("code parameter is missing")
    grant = exchange_code(services.config, domain, code)
    _warn_on_missing_scopes(domain, services.config.shopify_scopes, grant.get("scope", ""))
    return install_shop(
        db_session,
        services,
        domain,
        access_token=grant["access_token"],
        scope=grant.get("scope", ""),
        expires_at=_ends_at(now, grant.get("expires_in")),
        refresh_token=grant.get("refresh_token"),
        refresh_token_expires_at=_ends_at(now, grant.get("refresh_token_expires_in")),
        set_up=set_up,
    )


def _ends_at(now: datetime, seconds: object) -> datetime | None:
    """Return when a lifetime Shopify gave in seconds ends; None means the token does not expire."""
    if seconds is None:
        return None
    try:
        return now + timedelta(seconds=int(str(seconds)))
    except ValueError:
        raise CodeExchangeError(
            f"Shopify sent an unreadable token lifetime: {seconds!r}", "shopify_unreachable"
        ) from None


def _check_state(expected: object, received: str, domain: str) -> None:
    """Raise unless the state is the one this browser was given, for this very shop."""
    if not isinstance(expected, dict) or not received:
        raise InvalidStateError("no OAuth state in this browser session (install again from the start)")
    if not hmac.compare_digest(str(expected.get("state", "")).encode(), received.encode()):
        raise InvalidStateError("OAuth state does not match this browser session")
    if expected.get("shop") != domain:
        raise InvalidStateError("OAuth state was issued for another shop")


def _check_fresh(timestamp: str, now: datetime) -> None:
    """Raise when the signed timestamp is missing or older than a day (a replayed redirect)."""
    try:
        issued = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        raise StaleRequestError("timestamp parameter is missing or not a number") from None
    if now - issued > MAX_CALLBACK_AGE:
        raise StaleRequestError(f"callback was signed at {issued.isoformat()}, more than a day ago")


def exchange_code(config: Config, domain: str, code: str) -> dict[str, Any]:
    """Trade the authorization code for expiring offline tokens at the shop's token endpoint."""
    url = f"https://{domain}/admin/oauth/access_token"
    body = {
        "client_id": config.shopify_api_key,
        "client_secret": config.shopify_api_secret,
        "code": code,
        "expiring": 1,
    }
    try:
        response = requests.post(
            url, json=body, headers={"Accept": "application/json"}, timeout=CODE_EXCHANGE_TIMEOUT
        )
    except requests.RequestException as exc:
        raise CodeExchangeError(
            f"could not reach {domain} to exchange the code: {exc}", "shopify_unreachable"
        ) from exc
    if response.status_code >= 500:
        raise CodeExchangeError(
            f"{domain} answered {response.status_code} to the code exchange", "shopify_unreachable"
        )
    try:
        grant = response.json()
    except ValueError:
        grant = None
    if response.status_code != 200:
        detail = grant.get("error_description") or grant.get("error") if isinstance(grant, dict) else None
        raise CodeExchangeError(f"{domain} refused the code ({response.status_code}): {detail}")
    if not isinstance(grant, dict) or not grant.get("access_token"):
        raise CodeExchangeError(f"{domain} sent no access token", "shopify_unreachable")
    return grant


def _warn_on_missing_scopes(domain: str, requested: str, granted: str) -> None:
    """Log when the merchant granted fewer scopes than asked, which breaks webhooks and flows later."""
    missing = {s.strip() for s in requested.split(",") if s.strip()} - {
        s.strip() for s in granted.split(",") if s.strip()
    }
    if missing:
        log.warning("%s granted scopes %r without %s", domain, granted, ", ".join(sorted(missing)))
