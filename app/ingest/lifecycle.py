"""Installation lifecycle events: the app was uninstalled."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db import affected_rows
from app.db.models import Enrollment, Shop
from app.db.models.automation import ACTIVE, CANCELLED

log = logging.getLogger(__name__)


def uninstall(session: Session, shop: Shop, occurred_at: datetime, now: datetime) -> bool:
    """Mark the shop uninstalled, discard its tokens and stop its enrollments.

    A late uninstall event from before a reinstall is ignored, so it cannot wipe the new tokens.
    """
    if shop.installed_at is not None and shop.installed_at > occurred_at:
        log.info(
            "ignoring uninstall of %s from %s: reinstalled at %s", shop.domain, occurred_at, shop.installed_at
        )
        return False
    shop.uninstalled_at = now
    shop.access_token_enc = None
    shop.access_token_expires_at = None
    shop.refresh_token_enc = None
    shop.refresh_token_expires_at = None
    stopped = affected_rows(
        session.execute(
            update(Enrollment)
            .where(Enrollment.shop_id == shop.id, Enrollment.state == ACTIVE)
            .values(
                state=CANCELLED,
                exit_reason="app uninstalled",
                ended_at=now,
                next_run_at=None,
                run_token=Enrollment.run_token + 1,
            )
            .execution_options(synchronize_session=False)
        )
    )
    log.info("%s uninstalled Storeflow; %d enrollment(s) stopped, tokens discarded", shop.domain, stopped)
    return True
