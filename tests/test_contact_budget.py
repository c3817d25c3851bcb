"""The contact budget's reservation, row by row on PostgreSQL: a higher flow's send due within the
window keeps the last message for itself; one overdue long enough to be stuck keeps nothing."""

from __future__ import annotations

from datetime import timedelta

from app.db.models import Contact, Enrollment, Shop
from app.messaging.budget import ContactBudget
from flows.catalogue import get_flow

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def enrolled(factory, shop: Shop, contact: Contact, flow_key: str, step_index: int, due) -> Enrollment:
    now = factory.clock.now()
    enrollment = Enrollment(
        shop_id=shop.id,
        flow_key=flow_key,
        subject_key=f"{flow_key}:{contact.id}",
        contact_id=contact.id,
        step_index=step_index,
        anchor_at=now,
        next_run_at=due,
        last_activity_at=now,
        started_at=now,
    )
    factory.session.add(enrollment)
    factory.session.commit()
    return enrollment


def test_a_recovery_send_due_within_the_window_keeps_the_last_message(factory):
    shop = factory.shop()
    ann = factory.contact(shop, email="ann@example.com")
    now = factory.clock.now()
    enrolled(factory, shop, ann, "abandoned_checkout", 1, now + 2 * HOUR)  # step 1: the first email
    welcome = enrolled(factory, shop, ann, "welcome_series", 0, now)

    held = ContactBudget(factory.session).held(shop, ann, welcome, get_flow("welcome_series"), now)

    assert held is not None
    assert (held.until, held.waits) == (now + 2 * HOUR + MINUTE, True)


def test_a_recovery_send_stuck_overdue_keeps_nothing(factory):
    shop = factory.shop()
    ann = factory.contact(shop, email="ann@example.com")
    now = factory.clock.now()
    enrolled(factory, shop, ann, "abandoned_checkout", 1, now - HOUR)
    welcome = enrolled(factory, shop, ann, "welcome_series", 0, now)

    assert ContactBudget(factory.session).held(shop, ann, welcome, get_flow("welcome_series"), now) is None
