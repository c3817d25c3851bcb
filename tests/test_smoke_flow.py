from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Message
from tests.support.samples import sample
from tests.support.shopify import deliver


def test_abandoned_checkout_sends_first_email_after_an_hour(app, client, harness, factory):
    shop = factory.shop()
    factory.enable(shop, "abandoned_checkout")
    checkout = sample("shopify", "checkouts_create__shopifydocs-2026-04")
    checkout["buyer_accepts_marketing"] = True
    checkout["updated_at"] = harness.clock.now().isoformat()

    response = deliver(client, "checkouts/create", checkout)
    assert response.status_code == 200, response.json
    harness.drain()
    harness.advance(timedelta(minutes=61))

    with app.app_context():
        messages = db.session.scalars(select(Message)).all()
        assert [(m.template, m.status, m.to_address) for m in messages] == [
            ("abandoned_checkout_1", "sent", "example@email.com")
        ]
