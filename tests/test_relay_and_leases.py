"""Nothing is lost when Redis loses jobs or is down: the database holds the work, the relay re-hands it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from sqlalchemy import select

from app.core.clock import utcnow
from app.db import db
from app.db.models import Enrollment, Message, WebhookEvent
from app.jobs.relay import DISPATCH_LEASE, relay_webhooks
from app.web.factory import create_app
from tests.conftest import test_config
from tests.support.db import count, rows
from tests.support.shopify import deliver
from tests.test_flows_shopify import checkout_payload

HOUR = timedelta(hours=1)


@pytest.fixture
def shop(factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    return shop


def test_webhooks_taken_while_redis_is_down_are_processed_when_it_returns(
    app, client, harness, shop, postgres_url, clock
):
    # given a web process whose Redis is unreachable
    down = create_app(test_config(postgres_url, redis_url="redis://127.0.0.1:1/0"), clock=clock)
    response = deliver(down.test_client(), "checkouts/create", checkout_payload(clock))
    assert response.status_code == 200

    # when a relay also cannot reach Redis, the event stays undispatched
    with down.app_context(), pytest.raises(RedisConnectionError):
        relay_webhooks(db.session(), down.extensions["storeflow"].queue)
    assert rows(app, WebhookEvent)[0].dispatched_at is None

    # then once Redis is back the event is processed and the flow runs
    harness.drain()
    harness.advance(HOUR + timedelta(minutes=1))
    assert rows(app, WebhookEvent)[0].status == "processed"
    assert count(app, Message, status="sent") == 1


def test_an_event_whose_job_was_lost_is_handed_out_again_after_its_lease(app, client, redis, harness, shop):
    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    queue = app.extensions["storeflow"].queue
    with app.app_context():
        assert relay_webhooks(db.session(), queue) == 1
        redis.flushdb()  # Redis restarted without persistence: the job is gone

        assert relay_webhooks(db.session(), queue) == 0
        later = utcnow() + DISPATCH_LEASE + timedelta(seconds=1)
        assert relay_webhooks(db.session(), queue, now=later) == 1


def test_concurrent_relays_never_hand_out_the_same_event(app, shop):
    with app.app_context():
        for n in range(150):
            db.session.add(
                WebhookEvent(
                    shop_id=shop.id, platform="shopify", topic="carts/update", event_id=f"e{n}", body="{}"
                )
            )
        db.session.commit()
        queue = app.extensions["storeflow"].queue
        holder = db.session()
        locked = holder.scalars(
            select(WebhookEvent.id).order_by(WebhookEvent.id).limit(100).with_for_update()
        ).all()

        other = db.engine.connect()
        from sqlalchemy.orm import Session

        with Session(bind=other) as relay_session:
            handed = relay_webhooks(relay_session, queue)
        other.close()
        holder.rollback()

    assert handed == 50
    (job,) = Queue(queue.name, connection=queue.connection).jobs
    assert set(job.args[0]).isdisjoint(locked)


def test_a_step_runs_when_due_though_redis_lost_everything(app, client, redis, harness, shop):
    # the enrollment row is the schedule: Redis holds only wake-ups, and losing them costs a poll
    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    harness.drain()
    redis.flushdb()
    harness.clock.advance(HOUR + timedelta(minutes=2))

    harness.drain()

    assert count(app, Message, status="sent") == 1


def test_a_worker_that_died_mid_step_is_replaced_after_the_lease(app, client, harness, shop):
    from flows.runner import STEP_LEASE

    deliver(client, "checkouts/create", checkout_payload(harness.clock))
    harness.drain()
    harness.clock.advance(HOUR + timedelta(minutes=1))
    enrollment = rows(app, Enrollment)[0]
    with app.app_context():
        # a worker claimed the step (bumping the token and leasing it) and then died
        from sqlalchemy import update

        db.session.execute(
            update(Enrollment)
            .where(Enrollment.id == enrollment.id)
            .values(run_token=enrollment.run_token + 1, next_run_at=harness.clock.now() + STEP_LEASE)
        )
        db.session.commit()
    harness.drain()
    assert count(app, Message, status="sent") == 0

    harness.clock.advance(STEP_LEASE + timedelta(minutes=1))
    harness.drain()

    assert count(app, Message, status="sent") == 1


def test_an_event_that_keeps_failing_is_quarantined_after_five_attempts(app, harness, shop):
    from tests.support.poison import RETRY_DELAYS

    with app.app_context():
        # a row no normalizer can read: processing raises an unexpected error every time
        db.session.add(
            WebhookEvent(shop_id=shop.id, platform="bogus", topic="x", event_id="poison", body="{}")
        )
        db.session.commit()
    harness.drain()
    for delay in RETRY_DELAYS:
        harness.advance(delay)
    harness.advance(HOUR)

    (event,) = rows(app, WebhookEvent)
    assert (event.status, event.attempts) == ("quarantined", 5)
    assert event.processed_at is not None
    assert event.error == "KeyError: 'bogus'"
