"""Deliveries: the shop's webhooks that were set aside (rejected or quarantined), and replaying them.

A delivery is set aside when its payload was refused or its processing kept failing
(app/jobs/failures.py); the merchant, or whoever runs Storeflow for them, sees why and replays it
once the cause is fixed. Only the request's shop is listed and replayed: another shop's id answers
404 like one that does not exist. Replaying them all asks first (app/web/admin/confirmation.py),
saying how many: each replay acts on the store as if the webhook had just arrived.
"""

from __future__ import annotations

import logging

from flask import abort
from flask_babel import format_number, gettext, ngettext
from werkzeug.wrappers import Response as WerkzeugResponse

from app.db import db
from app.db.models import WebhookEvent
from app.db.models.inbox import MAX_EVENT_ID
from app.jobs.quarantine import count_set_aside, replay, set_aside, status_of
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.confirmation import Question, ask, confirmed
from app.web.admin.page import admin_url, finish, render_page

log = logging.getLogger(__name__)


@bp.get("/deliveries")
def deliveries() -> tuple[str, int]:
    """List the shop's deliveries set aside, newest first, each with its reason."""
    return render_page("admin/deliveries.html", events=set_aside(db.session(), current_shop().id))


@bp.post(f"/deliveries/<int(max={MAX_EVENT_ID}):event_id>/replay")
def replay_delivery(event_id: int) -> WerkzeugResponse | tuple[str, int]:
    """Hand one of the shop's set-aside deliveries back to the workers."""
    shop = current_shop()
    event = db.session.get(WebhookEvent, event_id)
    if event is None or event.shop_id != shop.id:
        abort(404)
    replayed = replay(db.session(), [event_id], shop.id)
    db.session.commit()
    if not replayed:
        state = status_of(db.session(), event_id)
        return finish(
            "admin.deliveries",
            gettext("Delivery %(id)s was not set aside any more (%(state)s).", id=event_id, state=state),
        )
    log.info("shop %s replayed delivery %s", shop.id, event_id)
    return finish("admin.deliveries", gettext("Delivery %(id)s will be processed again.", id=event_id))


@bp.post("/deliveries/replay")
def replay_deliveries() -> WerkzeugResponse | tuple[str, int]:
    """Hand every set-aside delivery of the shop back to the workers, once the merchant confirms."""
    shop = current_shop()
    if not confirmed():
        return ask(replay_all_question(count_set_aside(db.session(), shop.id)), admin_url("admin.deliveries"))
    replayed = replay(db.session(), None, shop.id)
    db.session.commit()
    log.info("shop %s replayed %d deliveries", shop.id, len(replayed))
    return finish(
        "admin.deliveries",
        ngettext(
            "%(num)d delivery will be processed again.",
            "%(num)d deliveries will be processed again.",
            len(replayed),
        ),
    )


def replay_all_question(waiting: int) -> Question:
    """Ask before replaying every delivery set aside, saying how many and what replaying does."""
    return Question(
        title=ngettext(
            "Replay %(count)s delivery?",
            "Replay %(count)s deliveries?",
            waiting,
            count=format_number(waiting),
        ),
        consequence=gettext(
            "Each is processed as if it had just arrived: the flows it starts or ends act on it, and "
            "the messages it leads to go to real shoppers. A replay cannot be undone; nothing a "
            "delivery already caused happens twice."
        ),
        action=gettext("Replay all"),
    )
