"""Signed unsubscribe links and the page behind them (RFC 8058 one-click included).

The link carries (shop, contact, channel) signed with SECRET_KEY and does not expire: an email
read a year later must still unsubscribe. GET only shows a confirmation button, because mail
scanners follow links; POST (the button, or a mail client's one-click request) unsubscribes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Blueprint, abort, render_template, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from app.consent.ledger import request_origin
from app.core.facts import Origin
from app.db import db
from app.db.models import Contact, Shop
from app.db.models.feedback import STOREFLOW
from app.db.models.messaging import UNSUBSCRIBED
from app.ingest.contacts import withdraw_consent
from app.jobs.services import current_services
from app.messaging.feedback import Feedback, record_feedback
from app.messaging.suppression import suppress
from app.web.extensions import csrf

log = logging.getLogger(__name__)
bp = Blueprint("unsubscribe", __name__)

_SALT = "storeflow-unsubscribe"


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


def unsubscribe_token(
    secret_key: str, shop_id: int, contact_id: int, channel: str, message_id: int | None = None
) -> str:
    """Sign the identity of one contact's subscription to one channel (and the message it came in)."""
    data: dict[str, object] = {"s": shop_id, "c": contact_id, "ch": channel}
    if message_id is not None:
        data["m"] = message_id
    return _serializer(secret_key).dumps(data)


def unsubscribe_url(
    app_url: str, secret_key: str, shop_id: int, contact_id: int, channel: str, message_id: int | None = None
) -> str:
    """Return the absolute unsubscribe link for a message."""
    return f"{app_url}/u/{unsubscribe_token(secret_key, shop_id, contact_id, channel, message_id)}"


@dataclass(frozen=True)
class Subscription:
    shop_id: int
    contact_id: int
    channel: str
    message_id: int | None = None


def unsubscribe(
    shop_id: int,
    contact_id: int,
    channel: str,
    source: str,
    message_id: int | None = None,
    origin: Origin | None = None,
) -> Contact | None:
    """Withdraw consent and suppress the address, so no later send on this channel goes out."""
    now = current_services().clock.now()
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.shop_id != shop_id:
        return None
    withdraw_consent(contact, channel, source, now, origin)
    address = contact.email if channel == "email" else contact.phone
    if address:
        suppress(db.session(), shop_id, channel, address, "unsubscribed")
    if message_id is not None:
        # Counted once per message in reports, however often the link is used.
        feedback = Feedback(message_id, UNSUBSCRIBED, STOREFLOW, f"unsubscribe:{message_id}", now)
        record_feedback(db.session(), [feedback])
    db.session.commit()
    log.info("contact %s of shop %s unsubscribed from %s (%s)", contact_id, shop_id, channel, source)
    return contact


def _decode(token: str) -> Subscription:
    try:
        data = _serializer(current_services().config.secret_key).loads(token)
        message_id = data.get("m")
        return Subscription(
            int(data["s"]),
            int(data["c"]),
            str(data["ch"]),
            int(message_id) if message_id is not None else None,
        )
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        log.warning("rejected an unsubscribe link with a bad signature")
        abort(404)


@bp.get("/u/<token>")
def confirm(token: str) -> str:
    subscription = _decode(token)
    shop = db.session.get(Shop, subscription.shop_id)
    return render_template(
        "unsubscribe.html",
        shop_name=shop.display_name if shop else "this store",
        channel=subscription.channel,
        action=url_for("unsubscribe.one_click", token=token),
        done=False,
    )


@bp.post("/u/<token>")
@csrf.exempt
def one_click(token: str) -> str:
    subscription = _decode(token)
    unsubscribe(
        subscription.shop_id,
        subscription.contact_id,
        subscription.channel,
        "unsubscribe_link",
        subscription.message_id,
        request_origin(),
    )
    shop = db.session.get(Shop, subscription.shop_id)
    return render_template(
        "unsubscribe.html",
        shop_name=shop.display_name if shop else "this store",
        channel=subscription.channel,
        action=None,
        done=True,
    )
