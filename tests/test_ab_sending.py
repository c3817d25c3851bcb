"""What a variant changes reaches the shopper: its subject replaces the step's, its own template is
sent in place of the step's, and the decision log names the variant of the send."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.db import db
from app.db.models import Message
from app.db.models.decisions import Decision
from flows.ab import TESTS_KEY
from tests.support.stores import ShopifyStore, Shopper


def welcome_test(**variant_b: object) -> dict[str, object]:
    return {
        "variants": [{"share": 0}, {"share": 100, **variant_b}],
        "minimum_sample": 100,
        "threshold": 95,
    }


def welcome_email(app) -> Message:
    with app.app_context():
        message = db.session.scalars(select(Message).where(Message.template.like("welcome_1%"))).one()
        db.session.expunge(message)
        return message


def subscribe(client, harness, factory, test: dict[str, object]) -> ShopifyStore:
    store = ShopifyStore(client, harness)
    shop = store.shop(factory, name="Alpha Goods")
    factory.enable(shop, "welcome_series", welcome_series={TESTS_KEY: {"welcome_email": test}})
    store.subscribe(Shopper("ada@example.com", "Ada", "7001"))
    harness.advance(timedelta(minutes=1))
    return store


def test_a_subject_variant_sends_its_own_subject(app, client, harness, factory):
    subscribe(client, harness, factory, welcome_test(subject="A gift from {{ shop.name }}"))

    message = welcome_email(app)

    assert (message.variant, message.status, message.subject) == ("B", "sent", "A gift from Alpha Goods")


def test_a_content_variant_sends_its_own_template_as_the_merchant_edited_it(app, client, harness, factory):
    test = welcome_test(content=True)
    store = ShopifyStore(client, harness)
    shop = store.shop(factory, name="Alpha Goods")
    overrides = {
        TESTS_KEY: {"welcome_email": test},
        "templates": {"welcome_1~b": {"subject": "Variant B's own subject", "text": "Only B says this."}},
    }
    factory.enable(shop, "welcome_series", welcome_series=overrides)
    store.subscribe(Shopper("ada@example.com", "Ada", "7001"))
    harness.advance(timedelta(minutes=1))

    message = welcome_email(app)

    assert (message.template, message.subject) == ("welcome_1~b", "Variant B's own subject")
    assert "Only B says this." in (message.body_text or "")
    with app.app_context():
        decision = db.session.scalars(select(Decision).where(Decision.message_id == message.id)).one()
    assert (decision.outcome, decision.facts["variant"], decision.facts["ab_test"]) == (
        "sent",
        "B",
        "running",
    )
