"""Store history: how far the sync of the store's past has come, and a button to sync it again.

The figures (counts, rate, time left, errors) come from the sync's own rows (app/sync/state.py);
the button opens a new sync and queues it, which a running one refuses.
"""

from __future__ import annotations

import logging

from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from app.core.i18n import N_
from app.db import db
from app.jobs.history_queue import request_sync
from app.jobs.services import current_services
from app.sync.state import ACTIVE, shop_progress
from app.web.admin.blueprint import bp, current_shop
from app.web.admin.page import finish, render_page

log = logging.getLogger(__name__)

STARTED = N_("The sync of your store's history has started. Nothing is sent about past orders or checkouts.")
UNDER_WAY = N_("A sync of your store's history is already under way.")


@bp.get("/history")
def history() -> tuple[str, int]:
    """Show each resource's progress bar."""
    shop = current_shop()
    progress = shop_progress(db.session(), shop.id, current_services().clock.now())
    running = any(p.status in ACTIVE for p in progress)
    return render_page("admin/history.html", progress=progress, running=running)


@bp.post("/history/sync")
def sync_history() -> WerkzeugResponse | tuple[str, int]:
    """Open a new sync of the store's whole history, unless one runs."""
    shop = current_shop()
    started = request_sync(db.session(), current_services(), shop)
    if started:
        log.info("shop %s asked for a history sync", shop.id)
    return finish("admin.history", gettext(STARTED if started else UNDER_WAY))
