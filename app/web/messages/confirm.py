"""Double opt-in: the signed confirmation link a pending subscriber clicks, and the page behind it.

GET only shows a "Yes, subscribe me" button, because mail scanners follow links; POST confirms:
the email consent becomes subscribed (source ``storeflow:double_opt_in``) and the flows that wait
for new subscribers, the welcome series first, start.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, render_template, url_for

from app.core.facts import ConsentFacts, ConsentState
from app.db import db
from app.db.models import Contact, Shop
from app.ingest.contacts import apply_consent
from app.ingest.subscriptions import CONFIRMED_SOURCE, subscription_triggers
from app.jobs.scheduling import StepWake
from app.jobs.services import current_services
from app.jobs.unit_of_work import unit_of_work
from app.messaging.signed_links import BadLinkError, read_confirm_token
from app.web.extensions import csrf
from app.web.origin import request_origin

log = logging.getLogger(__name__)
bp = Blueprint("confirm", __name__)


def _contact(token: str) -> Contact:
    try:
        shop_id, contact_id = read_confirm_token(current_services().config.secret_key, token)
    except BadLinkError:
        abort(404)
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.shop_id != shop_id:
        abort(404)
    return contact


@bp.get("/confirm/<token>")
def ask(token: str) -> str:
    contact = _contact(token)
    shop = db.session.get_one(Shop, contact.shop_id)
    done = contact.email_consent == ConsentState.SUBSCRIBED
    action = None if done else url_for("confirm.confirm", token=token)
    return render_template("confirm.html", shop_name=shop.display_name, action=action, done=done)


@bp.post("/confirm/<token>")
@csrf.exempt
def confirm(token: str) -> str:
    contact = _contact(token)
    shop = db.session.get_one(Shop, contact.shop_id)
    services = current_services()
    now = services.clock.now()
    before = contact.email_consent
    if before == ConsentState.PENDING:
        confirmed = ConsentFacts(
            "email", ConsentState.SUBSCRIBED, CONFIRMED_SOURCE, now, origin=request_origin()
        )
        with unit_of_work(db.session(), services.clock, StepWake(services.redis, services.clock)) as work:
            apply_consent(contact, confirmed)
            for event in subscription_triggers(shop.id, contact, before, now):
                work.engine.handle(event)
        log.info("contact %s of shop %s confirmed their subscription", contact.id, shop.id)
    return render_template("confirm.html", shop_name=shop.display_name, action=None, done=True)
