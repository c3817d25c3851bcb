"""Every channel where it fits: each catalogue flow offers email, SMS and web push, or says why not,
and every SMS step obeys the rules of any text (SMS consent, quiet hours, the contact budget) with a
text that fits one segment and says how to stop."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.db import db
from app.db.models import Cart, Checkout, Contact, Enrollment, Message, Order, Shop
from app.jobs.services import current_services
from app.jobs.tasks import step_runner
from app.messaging.context import template_context
from app.messaging.render import render, template_source
from flows.catalogue import CATALOGUE, CHANNELS, LEFT_OUT_CHANNELS
from flows.catalogue.common import DEFER
from flows.definitions import Flow, Purpose, Send
from flows.runner import SendOutcome
from tests.support.admin import log_in

DOCS = Path(__file__).resolve().parent.parent / "docs" / "flows.md"
PHONE = "+16135550123"
HOUR = timedelta(hours=1)
# The SMS steps the catalogue shipped before issue 18, switched on with their flows; every later one
# starts off, so a merchant who already uses a flow gets no texts they never chose.
FIRST_SMS_FLOWS = {"abandoned_checkout", "birthday"}
# GSM 03.38 basic character set, and its extension table (each of those counts twice).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")

SMS_STEPS = [
    pytest.param(flow, step, index, id=flow.key)
    for flow in CATALOGUE.values()
    for index, step in enumerate(flow.steps)
    if isinstance(step, Send) and step.channel == "sms"
]
MARKETING_SMS_STEPS = [param for param in SMS_STEPS if param.values[0].purpose == Purpose.MARKETING]


def gsm7_length(text: str) -> int:
    unsupported = {c for c in text if c not in GSM7 and c not in GSM7_EXTENDED}
    assert not unsupported, f"not GSM-7, the SMS would fall back to 70-character UCS-2: {unsupported}"
    return sum(2 if c in GSM7_EXTENDED else 1 for c in text)


# --- every flow, every channel -------------------------------------------------------------------


@pytest.mark.parametrize("flow", CATALOGUE.values(), ids=lambda flow: flow.key)
def test_every_flow_offers_email_sms_and_push_or_says_why_not(flow: Flow):
    offered = {send.channel for send in flow.sends()}
    left_out = set(LEFT_OUT_CHANNELS.get(flow.key, {}))

    assert offered | left_out == set(CHANNELS)
    assert not offered & left_out, "a channel the flow offers is listed as left out"


def test_every_left_out_channel_names_a_catalogue_flow():
    assert set(LEFT_OUT_CHANNELS) <= set(CATALOGUE)
    assert all(set(channels) <= set(CHANNELS) for channels in LEFT_OUT_CHANNELS.values())


@pytest.mark.parametrize("flow_key", sorted(LEFT_OUT_CHANNELS))
def test_the_docs_say_which_channels_a_flow_leaves_out_and_why(flow_key):
    section = DOCS.read_text().split("### Channels", 1)[1].split("\n## ", 1)[0]
    (line,) = [line for line in section.splitlines() if f"`{flow_key}`" in line]

    for channel, reason in LEFT_OUT_CHANNELS[flow_key].items():
        assert {"sms": "SMS", "push": "push", "email": "email"}[channel] in line
        assert reason in line


@pytest.mark.parametrize(("flow", "step", "index"), SMS_STEPS)
def test_an_sms_step_is_off_by_default_unless_its_flow_shipped_with_it(flow, step, index):
    assert step.enabled_by_default is (flow.key in FIRST_SMS_FLOWS)
    assert step.setting == "sms"


@pytest.mark.parametrize("flow", CATALOGUE.values(), ids=lambda flow: flow.key)
def test_a_push_step_is_off_by_default(flow: Flow):
    assert all(not send.enabled_by_default for send in flow.sends() if send.channel == "push")


# --- the text ------------------------------------------------------------------------------------


def typical_context(flow: Flow, shop_name: str = "Demo Shop") -> dict[str, Any]:
    """What a send gives the SMS template: a known shopper, their subject, products, a code."""
    shop = Shop(id=1, platform="shopify", domain="demo-shop.myshopify.com", name=shop_name, currency="USD")
    contact = Contact(id=1, first_name="Jennifer", email="jennifer@example.com", phone=PHONE)
    items = [{"title": "Linen shirt", "variant_title": "Medium / Sand", "quantity": 1, "price": "58.00"}]
    subject: Checkout | Order | Cart | None = None
    if flow.subject == "checkout":
        recovery = "https://demo-shop.myshopify.com/548380009/checkouts/ac1b2c3d/recover?key=4f9e2a"
        subject = Checkout(recovery_url=recovery, line_items=items, total_price=Decimal("58.00"))
    elif flow.subject == "cart":
        subject = Cart(token="c1", line_items=items, total_price=Decimal("58.00"), currency="USD")
    elif flow.subject == "order":
        status = "https://demo-shop.myshopify.com/548380009/orders/5f3e1a/authenticate?key=9b2c"
        subject = Order(name="#1042", line_items=items, total_price=Decimal("58.00"), status_url=status)
    context = template_context(shop, contact, subject, "https://storeflow.test/u/signed-token")
    product = {
        "title": "Waxed canvas weekender bag",
        "url": "https://demo-shop.myshopify.com/products/waxed-canvas-weekender-bag",
        "price": "148.00",
        "currency": "USD",
    }
    context.update(
        products=[product],
        recommendations=[product],
        search={"terms": ["weekender bag"]},
        tips=["Wax the canvas once a year."],
        alert={
            "old_price": "180.00",
            "new_price": "148.00",
            "currency": "USD",
            "percent_off": 18,
            "available": 3,
        },
        params={"survey_url": "https://forms.example/s/8f2k"},
        event={"name": "Black Friday", "years": 2},
    )
    if step_offers_discount(flow):
        context["discount"] = {"code": "SF-7QK2-M9XD", "percent": 15, "expires": "December 31"}
    return context


def step_offers_discount(flow: Flow) -> bool:
    return any(send.offers_discount for send in flow.sends() if send.channel == "sms")


@pytest.mark.parametrize("shop_name", ["Demo Shop", "Northern Lights Candle Co"])
@pytest.mark.parametrize(("flow", "step", "index"), SMS_STEPS)
def test_an_sms_fits_one_segment_names_the_store_and_says_how_to_stop(flow, step, index, shop_name):
    text = render(step.template, "sms", typical_context(flow, shop_name)).text

    assert gsm7_length(text) <= 160, text
    assert text.startswith(f"{shop_name}: ")
    assert text.endswith("Reply STOP to opt out")
    assert re.search(r"https://\S+", text), "an SMS without a link leaves the shopper nowhere to go"
    assert "\n" not in text


@pytest.mark.parametrize(("flow", "step", "index"), SMS_STEPS)
def test_an_sms_renders_without_a_first_name_or_products(flow, step, index):
    context = typical_context(flow)
    context.update(products=[], recommendations=[], search=None, tips=[], alert=None, params={}, event={})
    context["contact"]["first_name"] = None

    text = render(step.template, "sms", context).text

    assert gsm7_length(text) <= 160, text
    assert "None" not in text
    assert text.endswith("Reply STOP to opt out")


@pytest.mark.parametrize(("flow", "step", "index"), SMS_STEPS)
def test_an_sms_swaps_typographic_punctuation_in_shopper_data_for_gsm7(flow, step, index):
    context = typical_context(flow, shop_name="Maya\u2019s Caf\u00e9 \u2013 Bakery")
    for product in context["products"]:
        product["title"] = "Men\u2019s \u201cTrail\u201d jacket\u2122"

    text = render(step.template, "sms", context).text

    assert gsm7_length(text) <= 160, text
    assert text.startswith("Maya's Caf\u00e9 - Bakery: ")


# --- the rules of any text -----------------------------------------------------------------------


def sms_due(factory, flow: Flow, index: int, **contact: Any) -> tuple[Enrollment, Shop]:
    """An enrollment of this flow at its SMS step, now; the flow's own SMS switched on."""
    shop = factory.shop(timezone="UTC")
    factory.enable(shop, flow.key, **{flow.key: {"steps": {"sms": True}}})
    shopper = factory.contact(shop, email="jennifer@example.com", phone=PHONE, **contact)
    return enrolled(factory, shop, shopper, flow.key, index), shop


def enrolled(
    factory, shop: Shop, shopper: Contact, flow_key: str, index: int, subject_key: str = "test:1"
) -> Enrollment:
    now = factory.clock.now()
    enrollment = Enrollment(
        shop_id=shop.id,
        flow_key=flow_key,
        subject_key=subject_key,
        contact_id=shopper.id,
        step_index=index,
        anchor_at=now,
        next_run_at=now,
        last_activity_at=now,
        started_at=now,
    )
    factory.session.add(enrollment)
    factory.session.commit()
    return enrollment


def send_step(enrollment: Enrollment, flow: Flow, step: Send, index: int) -> Any:
    """Ask the real sender for the step, past the flow's guard (it needs a live subject, not tested here)."""
    sender = step_runner(current_services()).sender
    outcome = sender.send(enrollment, replace(flow, guard=None), step, index)
    db.session.commit()
    return outcome


def message_of(enrollment: Enrollment) -> Message:
    return db.session.query(Message).filter_by(enrollment_id=enrollment.id).one()


@pytest.mark.parametrize(("flow", "step", "index"), SMS_STEPS)
def test_an_sms_step_is_skipped_without_sms_consent_whatever_the_flows_purpose(
    app, factory, flow, step, index
):
    enrollment, _ = sms_due(factory, flow, index, email_consent="subscribed", timezone="Europe/Paris")

    send_step(enrollment, flow, step, index)

    message = message_of(enrollment)
    assert (message.status, message.detail) == ("skipped", "no sms marketing consent (never given)")
    assert message.attempts == 0


@pytest.mark.parametrize(("flow", "step", "index"), SMS_STEPS)
def test_an_sms_step_due_in_quiet_hours_waits_for_the_shoppers_morning(app, factory, flow, step, index):
    # 12:00 UTC is 07:00 in Toronto, inside the default quiet hours (21:00-08:00).
    enrollment, _ = sms_due(factory, flow, index, sms_consent="subscribed", timezone="America/Toronto")

    outcome = send_step(enrollment, flow, step, index)

    assert isinstance(outcome, SendOutcome)
    assert outcome.retry_at == factory.clock.now() + HOUR
    message = message_of(enrollment)
    assert (message.status, message.detail) == (
        "pending",
        "quiet hours (21:00-08:00 America/Toronto): deferred to 08:00",
    )


@pytest.mark.parametrize(("flow", "step", "index"), MARKETING_SMS_STEPS)
def test_a_marketing_sms_step_counts_against_the_contact_budget(app, factory, flow, step, index):
    enrollment, shop = sms_due(factory, flow, index, sms_consent="subscribed", timezone="Europe/Paris")
    shopper = factory.session.get(Contact, enrollment.contact_id)
    earlier = enrolled(factory, shop, shopper, "abandoned_checkout", 2, subject_key="test:earlier")
    factory.session.add(
        Message(
            shop_id=shop.id,
            enrollment_id=earlier.id,
            contact_id=shopper.id,
            flow_key="abandoned_checkout",
            step_index=1,
            channel="email",
            template="abandoned_checkout_1",
            status="sent",
            sent_at=factory.clock.now() - HOUR,
        )
    )
    factory.session.commit()

    send_step(enrollment, flow, step, index)

    message = message_of(enrollment)
    smart_sending = flow.param("smart_sending")
    assert message.status == ("pending" if smart_sending and smart_sending.default == DEFER else "skipped")
    assert message.detail is not None
    assert message.detail.startswith(
        "contact budget: Abandoned checkout recovery email sent 1 h ago (1 per 16 h across channels)"
    )


@pytest.mark.parametrize(("flow", "step", "index"), SMS_STEPS)
def test_the_admin_previews_every_sms_in_one_segment_with_its_sample_data(client, factory, flow, step, index):
    shop = factory.shop(name="Alpha Goods")
    csrf = log_in(client, shop.id)

    preview = client.post(
        f"/admin/flows/{flow.key}/templates/{step.setting}/preview",
        data={"csrf_token": csrf, "part_text": template_source(step.template, "text")},
    ).json

    assert preview["error"] is None
    assert gsm7_length(preview["text"]) <= 160, preview["text"]
    assert preview["text"].startswith("Alpha Goods: ")
    assert preview["text"].endswith("Reply STOP to opt out")
