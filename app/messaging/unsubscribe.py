"""Signed unsubscribe links and the page behind them (RFC 8058 one-click included).

The link carries (shop, contact, channel) signed with SECRET_KEY and does not expire: an email
read a year later must still unsubscribe. GET only shows a confirmation button, because mail
scanners follow links; POST (the button, or a mail client's one-click request) unsubscribes.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, render_template, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import csrf, db
from app.ingest.contacts import withdraw_consent
from app.models import Contact, Shop, Suppression
from app.services import current_services

log = logging.getLogger(__name__)
bp = Blueprint("unsubscribe", __name__)

_SALT = "storeflow-unsubscribe"


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


def unsubscribe_token(secret_key: str, shop_id: int, contact_id: int, channel: str) -> str:
    """Sign the identity of one contact's subscription to one channel."""
    return _serializer(secret_key).dumps({"s": shop_id, "c": contact_id, "ch": channel})


def unsubscribe_url(app_url: str, secret_key: str, shop_id: int, contact_id: int, channel: str) -> str:
    """Return the absolute unsubscribe link for a message."""
    return f"{app_url}/u/{unsubscribe_token(secret_key, shop_id, contact_id, channel)}"


def unsubscribe(shop_id: int, contact_id: int, channel: str, source: str) -> Contact | None:
    """Withdraw consent and suppress the address, so no later send on this channel goes out."""
    services = current_services()
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.shop_id != shop_id:
        return None
    withdraw_consent(contact, channel, source, services.clock.now())
    address = contact.email if channel == "email" else contact.phone
    if address:
        exists = db.session.scalars(
            select(Suppression.id).filter_by(shop_id=shop_id, channel=channel, address=address)
        ).first()
        if exists is None:
            try:
                with db.session.begin_nested():
                    db.session.add(
                        Suppression(shop_id=shop_id, channel=channel, address=address, reason="unsubscribed")
                    )
            except IntegrityError:
                pass  # suppressed by a concurrent request: the outcome is the same
    db.session.commit()
    log.info("contact %s of shop %s unsubscribed from %s (%s)", contact_id, shop_id, channel, source)
    return contact


def _decode(token: str) -> tuple[int, int, str]:
    try:
        data = _serializer(current_services().config.secret_key).loads(token)
        return int(data["s"]), int(data["c"]), str(data["ch"])
    except (BadSignature, KeyError, TypeError, ValueError):
        log.warning("rejected an unsubscribe link with a bad signature")
        abort(404)


@bp.get("/u/<token>")
def confirm(token: str) -> str:
    shop_id, _contact_id, channel = _decode(token)
    shop = db.session.get(Shop, shop_id)
    return render_template(
        "unsubscribe.html",
        shop_name=shop.display_name if shop else "this store",
        channel=channel,
        action=url_for("unsubscribe.one_click", token=token),
        done=False,
    )


@bp.post("/u/<token>")
@csrf.exempt
def one_click(token: str) -> str:
    shop_id, contact_id, channel = _decode(token)
    unsubscribe(shop_id, contact_id, channel, "unsubscribe_link")
    shop = db.session.get(Shop, shop_id)
    return render_template(
        "unsubscribe.html",
        shop_name=shop.display_name if shop else "this store",
        channel=channel,
        action=None,
        done=True,
    )
