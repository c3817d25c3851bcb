"""Action steps: what a flow does to a contact instead of messaging them (tag a VIP, sunset an address)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from app.core.clock import Clock
from app.db.checkpoint import checkpoint
from app.db.models import Contact, Enrollment
from app.db.models import decisions as decided
from app.messaging.suppression import suppress
from flows.conditions import check_guard
from flows.decisions import record_decision
from flows.definitions import Act, Flow
from flows.runner import SendOutcome
from flows.settings import ResolvedSettings

log = logging.getLogger(__name__)

UNENGAGED = "unengaged"

Action = Callable[[Session, Contact, ResolvedSettings], str]


def tag_contact(session: Session, contact: Contact, settings: ResolvedSettings) -> str:
    """Give the contact the flow's tag (kept with any tags the platform gave them)."""
    tag = str(settings.param("tag")).strip().lower()
    if tag:
        contact.tags = sorted({*(contact.tags or []), tag})
    return f"tagged {tag!r}"


def suppress_email(session: Session, contact: Contact, settings: ResolvedSettings) -> str:
    """Stop emailing an address that no longer opens or clicks (suppressed with reason "unengaged")."""
    if contact.email:
        suppress(session, contact.shop_id, "email", contact.email, UNENGAGED)
    return "email suppressed (unengaged)"


ACTIONS: dict[str, Action] = {"tag_contact": tag_contact, "suppress_email": suppress_email}


class ContactActions:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def act(self, enrollment: Enrollment, flow: Flow, step: Act, settings: ResolvedSettings) -> SendOutcome:
        """Carry out the step's action, unless the flow's guard says the enrollment should stop."""
        stop = check_guard(flow.guard, self.session, enrollment, self.clock.now())
        if stop:
            return SendOutcome(exit_reason=stop)
        contact = self.session.get_one(Contact, enrollment.contact_id)
        done = ACTIONS[step.action](self.session, contact, settings)
        index = enrollment.step_index
        record_decision(
            self.session, enrollment, index, decided.ACTED, done, self.clock.now(), {"action": step.action}
        )
        checkpoint(self.session)
        log.info("enrollment %s step %s: %s", enrollment.id, step.setting, done)
        return SendOutcome()
