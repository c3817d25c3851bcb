"""The unit of work: the engine's step jobs reach the queue only after the commit, and never on error."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core.events import EventKind, TriggerEvent
from app.core.facts import ConsentState
from app.db import db
from app.db.models import Contact, Enrollment, Shop
from app.jobs.scheduling import RQStepScheduler
from app.jobs.unit_of_work import unit_of_work
from tests.support.db import count


class Recorder:
    """A step scheduler that notes each request, and whether the session had committed by then."""

    def __init__(self, session: Session) -> None:
        self.calls: list[tuple[int, bool]] = []
        self.committed = False
        event.listen(session, "after_commit", self._on_commit)

    def _on_commit(self, session: Session) -> None:
        self.committed = True

    def schedule(self, enrollment_id: int, run_token: int, due: datetime) -> None:
        self.calls.append((enrollment_id, self.committed))


class Boom(Exception):
    pass


def subscribed(shop: Shop, contact: Contact, now: datetime) -> TriggerEvent:
    return TriggerEvent(EventKind.CONTACT_SUBSCRIBED, shop.id, contact.id, f"contact:{contact.id}", now)


@pytest.fixture
def welcome(app, factory):
    """A shop with the welcome series on, and one subscribed contact."""
    shop = factory.shop()
    factory.enable(shop, "welcome_series")
    contact = factory.contact(shop, email="ann@example.com", email_consent=ConsentState.SUBSCRIBED)
    return shop, contact


def test_the_engine_schedules_what_it_enrolled_only_after_the_commit(app, welcome, clock):
    # given
    shop, contact = welcome
    with app.app_context():
        recorder = Recorder(db.session())
        # when
        with unit_of_work(db.session(), clock, recorder) as work:
            work.engine.handle(subscribed(shop, contact, clock.now()))
            assert recorder.calls == []
        # then
        enrollment = db.session.query(Enrollment).one()
        assert recorder.calls == [(enrollment.id, True)]


def test_nothing_reaches_the_queue_before_the_commit(app, welcome, clock, harness):
    shop, contact = welcome
    queue = harness.services.queue
    with app.app_context():
        with unit_of_work(db.session(), clock, RQStepScheduler(queue, clock)) as work:
            work.engine.handle(subscribed(shop, contact, clock.now()))
            assert len(queue) == 0
        assert len(queue) == 1


def test_a_body_that_raises_rolls_back_and_discards_its_jobs(app, welcome, clock, harness):
    # given
    shop, contact = welcome
    with app.app_context():
        recorder = Recorder(db.session())
        # when
        with pytest.raises(Boom), unit_of_work(db.session(), clock, recorder) as work:
            work.engine.handle(subscribed(shop, contact, clock.now()))
            work.scheduler.schedule(99, 0, clock.now())
            raise Boom
        # then
        assert recorder.calls == []
        assert count(app, Enrollment) == 0
    assert len(harness.services.queue) == 0


def test_a_commit_that_fails_discards_the_jobs_too(app, welcome, clock):
    shop, contact = welcome
    with app.app_context():
        recorder = Recorder(db.session())

        def refuse(session: Session) -> None:
            raise Boom

        event.listen(db.session(), "before_commit", refuse)
        try:
            with pytest.raises(Boom), unit_of_work(db.session(), clock, recorder) as work:
                work.engine.handle(subscribed(shop, contact, clock.now()))
        finally:
            event.remove(db.session(), "before_commit", refuse)
        assert recorder.calls == []
        assert count(app, Enrollment) == 0


DOMAIN = (
    "flows",
    "webhooks",
    *(
        f"app/{name}"
        for name in [
            "ingest",
            "catalog",
            "consent",
            "messaging",
            "calendar",
            "simulation",
            "storecheck",
            "reconcile",
            "reports",
            "discounts",
            "push",
            "storefront",
            "shops",
        ]
    ),
)
# Where a module under the domain folders commits, and why it may.
MAY_COMMIT = {
    "app/simulation/run.py": "the simulator stands in for the jobs, inside a rolled-back sandbox",
    "app/reconcile/jobs.py": "an RQ job that still lives beside its domain code",
}


def test_the_domain_commits_only_at_a_checkpoint():
    root = Path(__file__).resolve().parent.parent
    committing = sorted(
        str(path.relative_to(root))
        for folder in DOMAIN
        for path in (root / folder).rglob("*.py")
        if ".commit()" in path.read_text()
    )
    assert set(committing) <= set(MAY_COMMIT), "commit at the edge, or at a checkpoint (app/db/checkpoint.py)"
