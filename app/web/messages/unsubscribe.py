"""The page behind an unsubscribe link (RFC 8058 one-click included).

GET only shows a confirmation button, because mail
scanners follow links; POST (the button, or a mail client's one-click request) unsubscribes.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, render_template, url_for

from app.db import db
from app.db.models import Shop
from app.jobs.services import current_services
from app.messaging.signed_links import BadLinkError, Subscription, read_unsubscribe_token
from app.messaging.unsubscribe import unsubscribe
from app.web.extensions import csrf
from app.web.origin import request_origin

log = logging.getLogger(__name__)
bp = Blueprint("unsubscribe", __name__)


def _decode(token: str) -> Subscription:
    try:
        return read_unsubscribe_token(current_services().config.secret_key, token)
    except BadLinkError:
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
        current_services().clock.now(),
        subscription.message_id,
        request_origin(),
    )
    db.session.commit()
    shop = db.session.get(Shop, subscription.shop_id)
    return render_template(
        "unsubscribe.html",
        shop_name=shop.display_name if shop else "this store",
        channel=subscription.channel,
        action=None,
        done=True,
    )
