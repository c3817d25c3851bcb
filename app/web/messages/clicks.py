"""GET /c/<token>: record a click on one of our tracked links, then send the shopper on.

The target is the message's own link (``links.py``), http(s) only, and only to where the message's
links may lead (``link_policy.py``): a stored link to another domain, as messages sent before that
check could hold, leads to the shop's home page instead. A click is recorded once per
request (a HEAD, as link checkers send, is not a click), up to ``CLICKS_PER_MINUTE`` per message so
a leaked link cannot be used to fill the database; if recording fails or the limit is reached the
shopper still gets where they were going. A link into the shop's own storefront also carries the
signed clicker (``sf_c``), so the storefront snippet can link the browsing visitor to the contact.
"""

from __future__ import annotations

import logging
import uuid

from flask import Blueprint, abort, redirect, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from app.db import db
from app.db.models import Message, Shop
from app.db.models.feedback import STOREFLOW
from app.db.models.messaging import CLICKED
from app.jobs.services import current_services
from app.messaging.feedback import record_feedback
from app.messaging.link_policy import message_link_policy
from app.messaging.links import BadClickLinkError, read_click_token
from app.storefront.identity import Clicker, clicker_token, with_clicker
from app.storefront.origins import allowed_origins, origin_of
from app.web.platforms import platform_of
from webhooks.feedback import Feedback

log = logging.getLogger(__name__)
bp = Blueprint("clicks", __name__)

CLICKS_PER_MINUTE = 30  # recorded per message; a shopper clicks a handful of times at most


@bp.get("/c/<token>")
def follow(token: str) -> Response:
    """Redirect to the link's URL, recording the click."""
    services = current_services()
    try:
        message_id, index = read_click_token(services.config.secret_key, token)
    except BadClickLinkError:
        abort(404)
    message = db.session.get(Message, message_id)
    if message is None or index >= len(message.links):
        abort(404)
    url = message.links[index]
    shop = db.session.get(Shop, message.shop_id)
    if origin_of(url) is None or shop is None:
        abort(404)
    policy = message_link_policy(db.session(), platform_of(shop), shop, message, services.config.app_url)
    allowed = policy.target(url)
    if allowed != url:
        log.warning(
            "message %s: link %d leads off the shop's domains; sent to its home page", message.id, index
        )
    target = _with_clicker(shop, message, allowed)
    if request.method == "GET" and services.limiter.allow("click", str(message.id), CLICKS_PER_MINUTE):
        _record(message, allowed)
    return redirect(target, code=302)


def _record(message: Message, url: str) -> None:
    click = Feedback(
        message.id, CLICKED, STOREFLOW, uuid.uuid4().hex, current_services().clock.now(), url=url
    )
    try:
        record_feedback(db.session(), [click])
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.error("click on message %s not recorded: %s", message.id, exc)


def _with_clicker(shop: Shop, message: Message, url: str) -> str:
    """Add the signed clicker to links into the shop's own storefront, and only those."""
    if origin_of(url) not in allowed_origins(
        platform_of(shop), shop.domain, shop.storefront_url, shop.settings
    ):
        return url
    clicker = Clicker(message.shop_id, message.contact_id, message.id)
    return with_clicker(url, clicker_token(current_services().config.secret_key, clicker))
