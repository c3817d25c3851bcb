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
from app.jobs.scheduling import WAKE_KEY, StepWake
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


def test_no_executor_is_woken_before_the_commit(app, welcome, clock, redis):
    shop, contact = welcome
    with app.app_context():
        with unit_of_work(db.session(), clock, StepWake(redis, clock)) as work:
            work.engine.handle(subscribed(shop, contact, clock.now()))
            assert redis.llen(WAKE_KEY) == 0
        assert redis.llen(WAKE_KEY) == 1


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
}


# What runs a step, and so may make what it did durable mid-way (app/db/checkpoint.py).
RUNS_A_STEP = {
    "flows/runner.py",
    "app/messaging/sender.py",
    "app/messaging/recovery.py",
    "app/messaging/content.py",
    "app/messaging/send_rules.py",
    "app/messaging/actions.py",
    "app/storecheck/check.py",
    "app/discounts/codes.py",
}
ROOT = Path(__file__).resolve().parent.parent


def domain_modules_containing(text: str) -> set[str]:
    return {
        str(path.relative_to(ROOT))
        for folder in DOMAIN
        for path in (ROOT / folder).rglob("*.py")
        if text in path.read_text()
    }


def test_the_domain_leaves_committing_to_the_edge():
    assert domain_modules_containing(".commit()") <= set(MAY_COMMIT), "the job, view or CLI commits"


def test_only_running_a_step_commits_mid_way():
    assert domain_modules_containing("checkpoint(") <= RUNS_A_STEP
