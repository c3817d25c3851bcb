"""Send one step's message to the merchant, through the shop's real channel, with sample data.

A test is not a flow message: it has no enrollment, gets no ``message`` row and never counts in
the reports; its subject says "[Test]". Each shop may send a few per hour, so the button cannot be
turned into a way of mailing strangers.
"""

from __future__ import annotations

import logging
import re
from secrets import token_hex

from flask_babel import gettext

from app.core.errors import StoreflowError
from app.db.models import Shop
from app.ingest.contacts import normalize_phone
from app.jobs.services import current_services
from app.messaging.channel import OutgoingMessage
from app.messaging.render import Rendered
from app.messaging.send_errors import SendError
from app.shops.settings import sender_identity
from flows.definitions import Send

log = logging.getLogger(__name__)

TEST_SENDS_PER_HOUR = 10
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class TestSendError(StoreflowError):
    """The test message was not sent; the message says why, in the merchant's words."""


def send_test(shop: Shop, send: Send, rendered: Rendered, to: str) -> str:
    """Send the rendered message to ``to`` and return the provider that took it."""
    address = _address(send.channel, to.strip(), shop)
    _count_against_limit(shop)
    services = current_services()
    channel = services.shop_channels(shop, send.channel)
    identity = sender_identity(shop, services.config)
    outgoing = OutgoingMessage(
        channel=send.channel,
        to=address,
        text=rendered.text,
        reference=f"test-{shop.id}-{token_hex(4)}",
        sender_address=identity.address,
        sender_name=identity.name,
        subject=f"[Test] {rendered.subject}" if rendered.subject is not None else None,
        html=rendered.html,
        category="storeflow_test",
    )
    try:
        channel.send(outgoing)
    except SendError as exc:
        log.warning("shop %s: test %s failed: %s", shop.id, send.channel, exc)
        raise TestSendError(gettext("The message was not sent: %(problem)s", problem=exc)) from exc
    log.info("shop %s sent a test of %s via %s", shop.id, send.template, channel.provider)
    return channel.provider


def _address(channel: str, to: str, shop: Shop) -> str:
    if channel == "push":
        # A push goes to a browser's subscription, which has no address a merchant could type.
        raise TestSendError(
            gettext(
                "Pushes have no test address: allow notifications on your storefront, then trigger the flow."
            )
        )
    if channel == "email":
        if not EMAIL.fullmatch(to):
            raise TestSendError(gettext("Enter the email address to send the test to, like you@example.com."))
        return to
    phone = normalize_phone(to, None)
    if phone is None:
        raise TestSendError(
            gettext("Enter the phone number to send the test to, with its country code (+1…).")
        )
    return phone


def _count_against_limit(shop: Shop) -> None:
    redis = current_services().redis
    key = f"storeflow:test-sends:{shop.id}"
    count = int(redis.incr(key))
    if count == 1:
        redis.expire(key, 3600)
    if count > TEST_SENDS_PER_HOUR:
        raise TestSendError(
            gettext(
                "You sent %(num)s test messages in the last hour. Try again later.", num=TEST_SENDS_PER_HOUR
            )
        )
