"""Who is looking at the admin: every admin request resolves to exactly one shop, or is refused.

Four ways in, none of which lets a request name the shop it wants:
- embedded in Shopify: an App Bridge session token (``Authorization: Bearer`` or ``id_token``),
  verified and exchanged for an offline token on first use;
- framed by the Saleor dashboard: its JWT (``Authorization: Bearer`` with ``Saleor-Api-Url``),
  verified against that instance's keys and the app id the installation registered with;
- after the OAuth install redirect: the shop id in the signed session cookie;
- a one-time login link made by ``flask storeflow admin-link`` (local demo and operators), which
  puts the shop id in the signed session cookie like the OAuth redirect.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from secrets import token_hex

from flask import Response, abort, g, request, session
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from redis.exceptions import RedisError

from app.core.errors import StoreflowError
from app.db import db
from app.db.models import Shop
from app.jobs.services import current_services

log = logging.getLogger(__name__)

LOGIN_LINK_MAX_AGE_SECONDS = 600
SALEOR_API_URL_HEADER = "Saleor-Api-Url"
_LOGIN_SALT = "storeflow-admin-login"


class LoginCheckUnavailableError(StoreflowError, RuntimeError):
    """Redis, which remembers used login links, cannot be reached: whether a link was used is unknown."""


@dataclass(frozen=True)
class AdminIdentity:
    shop: Shop
    via_session_token: bool


def login_link_token(secret_key: str, shop_id: int) -> str:
    """Sign a short-lived, single-use admin login for one shop (the nonce makes each link distinct)."""
    return URLSafeTimedSerializer(secret_key, salt=_LOGIN_SALT).dumps({"s": shop_id, "n": token_hex(8)})


def shop_from_login_token(token: str) -> Shop | None:
    """Return the shop a login link was made for, if the link is genuine, fresh and not used before.

    Without Redis a link cannot be proved unused, so it is neither accepted nor spent: it raises
    ``LoginCheckUnavailableError`` and works once Redis is back, while it is still fresh.
    """
    services = current_services()
    serializer = URLSafeTimedSerializer(services.config.secret_key, salt=_LOGIN_SALT)
    try:
        data = serializer.loads(token, max_age=LOGIN_LINK_MAX_AGE_SECONDS)
        shop_id = int(data["s"])
    except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
        return None
    # One use only: a link left in a terminal's scrollback or a proxy log cannot log in again.
    used = f"storeflow:admin-login-used:{hashlib.sha256(token.encode()).hexdigest()}"
    try:
        first_use = services.redis.set(used, 1, nx=True, ex=LOGIN_LINK_MAX_AGE_SECONDS)
    except RedisError as exc:
        raise LoginCheckUnavailableError(str(exc)) from exc
    if not first_use:
        log.warning("refused a login link for shop %s that was already used", shop_id)
        return None
    return db.session.get(Shop, shop_id)


def _embedded_request() -> bool:
    """Tell whether Shopify embeds this request (``embedded=1``, ``id_token``, or a bearer token)."""
    bearer = request.headers.get("Authorization", "").startswith("Bearer ")
    return bearer or bool(request.args.get("id_token")) or request.args.get("embedded") == "1"


def current_identity() -> AdminIdentity:
    """Resolve the shop of this admin request, or stop it (401, or Shopify's token-refresh redirect)."""
    if request.headers.get(SALEOR_API_URL_HEADER):
        return _identity_from_saleor_token()
    if _embedded_request():
        return _identity_from_session_token()
    shop_id = session.get("shop_id")
    shop = db.session.get(Shop, shop_id) if isinstance(shop_id, int) else None
    if shop is None or not shop.is_installed:
        abort(401)
    return AdminIdentity(shop=shop, via_session_token=False)


def _identity_from_session_token() -> AdminIdentity:
    from app.jobs.installs import shopify_set_up
    from app.platforms.shopify.errors import SessionTokenError, ShopifyError
    from app.platforms.shopify.exchange import ensure_installed
    from app.platforms.shopify.installation import PLATFORM as SHOPIFY
    from app.platforms.shopify.session_tokens import frame_ancestors, verify_session_token
    from app.web.framing import allow_framing_by
    from app.web.served import not_served

    services = current_services()
    if not services.config.serves(SHOPIFY):
        abort(not_served(SHOPIFY))
    try:
        token = verify_session_token(request.method, request.url, dict(request.headers), services.config)
    except SessionTokenError as exc:
        log.warning("admin request with a rejected session token: %s", exc)
        if exc.status == 302:  # App Bridge's page fetches a fresh token and reloads
            abort(Response(status=302, headers=dict(exc.headers)))
        abort(Response("Unauthorized", status=401, headers=dict(exc.headers)))
    try:
        shop = ensure_installed(token, db.session(), services, shopify_set_up(services))
    except ShopifyError as exc:
        log.error("could not complete the install of %s: %s", token.shop_domain, exc)
        abort(Response("Shopify did not answer; try again in a moment.", status=503))
    g.embedded_headers = token.response_headers
    allow_framing_by(frame_ancestors(token.shop_domain))
    return AdminIdentity(shop=shop, via_session_token=True)


def _identity_from_saleor_token() -> AdminIdentity:
    from app.platforms.saleor.dashboard import authenticate
    from app.platforms.saleor.errors import DashboardTokenError
    from webhooks.saleor.errors import JwksUnavailableError

    try:
        dashboard = authenticate(
            db.session(),
            current_services(),
            request.headers.get("Authorization"),
            request.headers.get(SALEOR_API_URL_HEADER),
        )
    except DashboardTokenError as exc:
        log.warning("admin request with a rejected Saleor dashboard token: %s", exc)
        abort(401)
    except JwksUnavailableError as exc:
        log.error("could not check a Saleor dashboard token: %s", exc)
        abort(Response("Saleor did not answer; try again in a moment.", status=503))
    return AdminIdentity(shop=dashboard.shop, via_session_token=True)
