"""SendGridChannel against a local fake of SendGrid's v3 API, through the official ``sendgrid`` client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.channels.sendgrid_email import SendGridChannel
from app.messaging.channel import OutgoingMessage
from app.messaging.send_errors import PermanentSendError, TransientSendError
from tests.support.fake_sendgrid import HANG_UP, MALFORMED, FakeSendGrid, unused_port

API_KEY = "SG.test-key"
UNSUBSCRIBE = "https://storeflow.test/u/signed-token"


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture
def channel(sendgrid: FakeSendGrid) -> SendGridChannel:
    return SendGridChannel(API_KEY, host=sendgrid.url)


def email(**changes: object) -> OutgoingMessage:
    fields: dict[str, object] = {
        "channel": "email",
        "to": "jane@example.com",
        "subject": "Jane, your cart at Demo Shop is waiting",
        "text": "Hi Jane,\n\nComplete your order: https://demo-shop.example/recover\n",
        "html": "<p>Hi Jane,</p><p><a href='https://demo-shop.example/recover'>Complete your order</a></p>",
        "reference": "42",
        "sender_address": "shop@storeflow.test",
        "sender_name": "Demo Shop",
        "headers": {
            "List-Unsubscribe": f"<{UNSUBSCRIBE}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        "category": "abandoned_checkout",
    }
    fields.update(changes)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


def test_posts_to_v3_mail_send_with_the_api_key_as_bearer_token(channel, sendgrid):
    channel.send(email())

    assert len(sendgrid.requests) == 1
    request = sendgrid.requests[0]
    assert (request.method, request.path) == ("POST", "/v3/mail/send")
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Content-Type"] == "application/json"


def test_body_names_sender_recipient_and_subject(channel, sendgrid):
    channel.send(email())

    mail = sendgrid.requests[0].mail
    assert mail["from"] == {"email": "shop@storeflow.test", "name": "Demo Shop"}
    assert mail["personalizations"][0]["to"] == [{"email": "jane@example.com"}]
    assert mail["subject"] == "Jane, your cart at Demo Shop is waiting"


def test_body_carries_plain_text_first_then_html(channel, sendgrid):
    message = email()

    channel.send(message)

    assert sendgrid.requests[0].mail["content"] == [
        {"type": "text/plain", "value": message.text},
        {"type": "text/html", "value": message.html},
    ]


def test_body_carries_one_click_unsubscribe_headers(channel, sendgrid):
    channel.send(email())

    assert sendgrid.requests[0].mail["headers"] == {
        "List-Unsubscribe": f"<{UNSUBSCRIBE}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_body_tags_the_message_with_our_id_and_the_flow_as_category(channel, sendgrid):
    channel.send(email(reference="42", category="abandoned_checkout"))

    mail = sendgrid.requests[0].mail
    assert mail["custom_args"] == {"storeflow_message_id": "42"}
    assert mail["categories"] == ["abandoned_checkout"]


@pytest.mark.parametrize("enabled", [True, False])
def test_provider_click_tracking_is_switched_as_the_message_asks(channel, sendgrid, enabled):
    channel.send(email(provider_click_tracking=enabled))

    tracking = sendgrid.requests[0].mail["tracking_settings"]
    assert tracking == {"click_tracking": {"enable": enabled, "enable_text": enabled}}


def test_without_a_click_tracking_choice_the_accounts_setting_applies(channel, sendgrid):
    channel.send(email())

    assert "tracking_settings" not in sendgrid.requests[0].mail


def test_sender_without_a_name_is_sent_as_a_bare_address(channel, sendgrid):
    channel.send(email(sender_name=""))

    assert sendgrid.requests[0].mail["from"] == {"email": "shop@storeflow.test"}


def test_accepted_mail_returns_sendgrids_message_id(channel, sendgrid):
    provider_id = channel.send(email())

    assert provider_id == sendgrid.message_id(1)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limit_and_server_errors_are_transient(channel, sendgrid, status):
    # given
    sendgrid.respond_with(status)

    # when / then
    with pytest.raises(TransientSendError, match=f"SendGrid answered {status}"):
        channel.send(email())


@pytest.mark.parametrize("status", [400, 401, 403, 413])
def test_refusals_are_permanent(channel, sendgrid, status):
    # given
    sendgrid.respond_with(status)

    # when / then
    with pytest.raises(PermanentSendError, match=f"SendGrid answered {status}"):
        channel.send(email())


def test_refusal_detail_includes_sendgrids_explanation(channel, sendgrid):
    sendgrid.respond_with(400)

    with pytest.raises(PermanentSendError, match="does not contain a valid address"):
        channel.send(email())


def test_unreachable_provider_is_transient():
    channel = SendGridChannel(API_KEY, host=f"http://127.0.0.1:{unused_port()}")

    with pytest.raises(TransientSendError, match="SendGrid unreachable"):
        channel.send(email())


def test_provider_hanging_up_without_an_answer_is_transient(channel, sendgrid):
    sendgrid.respond_with(HANG_UP)

    with pytest.raises(TransientSendError, match="SendGrid unreachable"):
        channel.send(email())


def test_malformed_answer_is_transient(channel, sendgrid):
    # a broken proxy or load balancer in between: no usable HTTP status at all
    sendgrid.respond_with(MALFORMED)

    with pytest.raises(TransientSendError, match="SendGrid unreachable"):
        channel.send(email())
