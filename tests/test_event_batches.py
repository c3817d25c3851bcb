"""A relay batch of webhooks is processed in one unit of work: one commit, and the shop's settings,
the exits and the locks taken by set-based statements; an event the batch cannot take is run on its
own, so the rest still commit and its failure is recorded as before.

Each test hands the batch to the job (``process_events``) directly, as a worker does, after the
webhooks were stored through the real endpoint.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.db import db
from app.db.models import Checkout, Contact, Enrollment, Shop, WebhookEvent
from app.jobs.tasks import EventBatchError, process_events
from tests.support.db import count, rows, watching_statements
from tests.support.poison import POISONED_EMAIL, BrokenCheckouts, poisoned_checkout, shopper_checkout
from tests.support.samples import sample
from tests.support.shopify import addressed_to, deliver


@pytest.fixture
def shop(factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    return shop


@pytest.fixture
def broken(app):
    checkouts = BrokenCheckouts(app)
    checkouts.break_it()
    yield checkouts
    checkouts.fix()


def stored_ids(app) -> list[int]:
    with app.app_context():
        ids = list(db.session.scalars(select(WebhookEvent.id).order_by(WebhookEvent.id)))
        db.session.remove()
        return ids


def run_batch(app, ids: list[int]) -> dict[int, str]:
    with app.app_context():
        try:
            return process_events(ids)
        finally:
            db.session.remove()


def shoppers(clock, *names: str) -> list[dict[str, Any]]:
    return [
        shopper_checkout(clock, f"{name}-checkout", f"{name}@example.com", 7100 + n)
        for n, name in enumerate(names)
    ]


def test_a_batch_of_mixed_events_commits_once_and_processes_every_one(app, client, clock, shop):
    ann, bob = shoppers(clock, "ann", "bob")
    deliver(client, "checkouts/create", ann)
    deliver(client, "customers/create", sample("shopify", "customers_create__shopifydocs-2026-04"))
    deliver(client, "checkouts/create", bob)
    deliver(client, "orders/create", sample("shopify", "orders_create__shopifydocs-2026-04"))
    ids = stored_ids(app)

    with watching_statements(app) as counted:
        statuses = run_batch(app, ids)

    assert statuses == dict.fromkeys(ids, "processed")
    assert counted.commits == 1
    assert [e.status for e in rows(app, WebhookEvent)] == ["processed"] * 4
    assert sorted(e.subject_key for e in rows(app, Enrollment)) == [
        "checkout:ann-checkout",
        "checkout:bob-checkout",
    ]


def test_a_poison_event_mid_batch_leaves_the_others_processed_and_is_recorded_failed(
    app, client, clock, shop, broken
):
    ann, bob = shoppers(clock, "ann", "bob")
    for payload in (ann, poisoned_checkout(clock), bob):
        deliver(client, "checkouts/create", payload)
    ids = stored_ids(app)

    with pytest.raises(EventBatchError, match=str(ids[1])):
        run_batch(app, ids)

    events = rows(app, WebhookEvent)
    assert [e.status for e in events] == ["processed", "pending", "processed"]
    assert (events[1].attempts, events[1].retry_at is not None) == (1, True)
    assert "CheckViolation" in events[1].error and POISONED_EMAIL not in events[1].error
    assert sorted(c.email for c in rows(app, Checkout)) == ["ann@example.com", "bob@example.com"]
    assert count(app, Enrollment) == 2


def test_an_event_listed_twice_in_a_batch_is_processed_once(app, client, clock, shop):
    (ann,) = shoppers(clock, "ann")
    deliver(client, "checkouts/create", ann)
    (event_id,) = stored_ids(app)

    assert run_batch(app, [event_id, event_id]) == {event_id: "processed"}

    (stored,) = rows(app, WebhookEvent)
    assert stored.attempts == 1
    assert count(app, Enrollment) == 1


def test_the_same_checkout_delivered_twice_in_one_batch_enrolls_its_shopper_once(app, client, clock, shop):
    (ann,) = shoppers(clock, "ann")
    deliver(client, "checkouts/create", ann, event_id="first-delivery")
    deliver(client, "checkouts/create", ann, event_id="second-delivery")

    run_batch(app, stored_ids(app))

    assert [e.status for e in rows(app, WebhookEvent)] == ["processed", "processed"]
    assert (count(app, Contact), count(app, Checkout), count(app, Enrollment)) == (1, 1, 1)


def test_a_batch_already_processed_is_left_alone_when_handed_out_again(app, client, clock, shop):
    ann, bob = shoppers(clock, "ann", "bob")
    deliver(client, "checkouts/create", ann)
    deliver(client, "checkouts/create", bob)
    ids = stored_ids(app)
    run_batch(app, ids)

    assert run_batch(app, list(reversed(ids))) == dict.fromkeys(ids, "processed")

    assert [e.attempts for e in rows(app, WebhookEvent)] == [1, 1]
    assert count(app, Enrollment) == 2


def test_the_steps_a_batch_starts_wait_in_the_database_once_it_has_committed(app, client, clock, shop):
    # the enrollment rows are the schedule: what the batch committed is what the executors claim
    ann, bob = shoppers(clock, "ann", "bob")
    deliver(client, "checkouts/create", ann)
    deliver(client, "checkouts/create", bob)

    run_batch(app, stored_ids(app))

    due = [e.next_run_at for e in rows(app, Enrollment)]
    assert due == [clock.now() + timedelta(hours=1)] * 2


def test_an_uninstall_in_a_batch_takes_effect_for_the_events_after_it(app, client, clock, shop):
    ann, bob = shoppers(clock, "ann", "bob")
    deliver(client, "checkouts/create", ann)
    deliver(
        client, "app/uninstalled", addressed_to(sample("shopify", "app_uninstalled__shopifydocs-2026-04"))
    )
    deliver(client, "checkouts/create", bob)

    statuses = run_batch(app, stored_ids(app))

    assert list(statuses.values()) == ["processed", "processed", "ignored"]
    (stored,) = rows(app, Shop)
    assert stored.uninstalled_at is not None
    assert [e.state for e in rows(app, Enrollment)] == ["cancelled"]


def statements_per_event(app, client, clock, names: list[str]) -> float:
    """Store new shoppers' checkouts, process them as one batch; return the statements per event."""
    before = set(stored_ids(app))
    for payload in shoppers(clock, *names):
        deliver(client, "checkouts/create", payload)
    ids = [i for i in stored_ids(app) if i not in before]
    with watching_statements(app) as counted:
        run_batch(app, ids)
    return len(counted.statements) / len(ids)


def test_statements_per_event_do_not_grow_with_the_batch(app, client, clock, shop):
    alone = statements_per_event(app, client, clock, ["solo"])
    batched = statements_per_event(app, client, clock, [f"shopper{n}" for n in range(10)])

    assert batched < alone
