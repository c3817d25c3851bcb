"""TwilioChannel against Twilio's Messages API faked at the HTTP boundary with ``responses``."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
import requests
import responses

from app.channels.twilio_sms import TwilioChannel
from app.messaging.channel import OutgoingMessage
from app.messaging.send_errors import PermanentSendError, TransientSendError

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"
FROM_NUMBER = "+15005550006"
SERVICE_SID = "MG" + "1" * 32
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
MESSAGE_SID = "SM" + "a" * 32
SMS_TEXT = "Demo Shop: Your cart is saved. Finish checkout: https://demo.example/r Reply STOP to opt out"


@pytest.fixture
def twilio() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def channel() -> TwilioChannel:
    return TwilioChannel(ACCOUNT_SID, AUTH_TOKEN, from_number=FROM_NUMBER)


def sms(**changes: object) -> OutgoingMessage:
    fields: dict[str, object] = {
        "channel": "sms",
        "to": "+16135551111",
        "text": SMS_TEXT,
        "reference": "7",
        "sender_address": "shop@storeflow.test",
    }
    fields.update(changes)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


def created(to: str = "+16135551111") -> dict[str, object]:
    """Twilio's 201 body for a queued message (abridged)."""
    return {
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": "…",
        "direction": "outbound-api",
        "error_code": None,
        "from": FROM_NUMBER,
        "num_segments": "1",
        "sid": MESSAGE_SID,
        "status": "queued",
        "to": to,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE_SID}.json",
    }


def error(status: int, code: int, message: str) -> dict[str, object]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def form(call: responses.Call) -> dict[str, str]:
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    return {key: values[0] for key, values in parse_qs(text).items()}


def test_created_message_returns_twilios_sid(channel, twilio):
    twilio.post(MESSAGES_URL, json=created(), status=201)

    assert channel.send(sms()) == MESSAGE_SID


def test_request_is_a_form_with_recipient_sender_and_text(channel, twilio):
    twilio.post(MESSAGES_URL, json=created(), status=201)
    message = sms()

    channel.send(message)

    assert len(twilio.calls) == 1
    assert form(twilio.calls[0]) == {"To": "+16135551111", "From": FROM_NUMBER, "Body": message.text}


def test_request_names_the_status_callback_the_message_asks_for(channel, twilio):
    twilio.post(MESSAGES_URL, json=created(), status=201)
    callback = "https://storeflow.test/webhooks/twilio/status?ref=7"

    channel.send(sms(status_callback=callback))

    assert form(twilio.calls[0])["StatusCallback"] == callback


def test_request_authenticates_with_account_sid_and_auth_token(channel, twilio):
    twilio.post(MESSAGES_URL, json=created(), status=201)

    channel.send(sms())

    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert twilio.calls[0].request.headers["Authorization"] == f"Basic {expected}"


def test_messaging_service_is_used_instead_of_a_number_when_configured(twilio):
    # given
    channel = TwilioChannel(ACCOUNT_SID, AUTH_TOKEN, messaging_service_sid=SERVICE_SID)
    twilio.post(MESSAGES_URL, json=created(), status=201)

    # when
    channel.send(sms())

    # then
    sent = form(twilio.calls[0])
    assert sent["MessagingServiceSid"] == SERVICE_SID
    assert "From" not in sent


def test_channel_needs_a_sender_number_or_messaging_service():
    with pytest.raises(ValueError, match="TWILIO_FROM_NUMBER"):
        TwilioChannel(ACCOUNT_SID, AUTH_TOKEN)


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (429, 20429, "Too Many Requests"),
        (500, 20500, "Internal Server Error"),
        (503, 20503, "Service Unavailable"),
    ],
)
def test_rate_limit_and_server_errors_are_transient(channel, twilio, status, code, message):
    # given
    twilio.post(MESSAGES_URL, json=error(status, code, message), status=status)

    # when / then
    with pytest.raises(TransientSendError, match=f"Twilio answered {status}"):
        channel.send(sms())


def test_invalid_number_is_permanent_and_names_twilios_error_code(channel, twilio):
    # given
    twilio.post(
        MESSAGES_URL,
        json=error(400, 21211, "The 'To' number +1613555 is not a valid phone number."),
        status=400,
    )

    # when / then
    with pytest.raises(PermanentSendError, match="code 21211"):
        channel.send(sms(to="+1613555"))


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (401, 20003, "Authenticate"),
        (400, 21610, "Attempt to send to unsubscribed recipient"),
    ],
)
def test_other_refusals_are_permanent(channel, twilio, status, code, message):
    twilio.post(MESSAGES_URL, json=error(status, code, message), status=status)

    with pytest.raises(PermanentSendError):
        channel.send(sms())


def test_connection_failure_is_transient(channel, twilio):
    # given
    twilio.post(MESSAGES_URL, body=requests.ConnectionError("connection refused"))

    # when / then
    with pytest.raises(TransientSendError, match="Twilio unreachable"):
        channel.send(sms())


def test_timeout_is_transient(channel, twilio):
    twilio.post(MESSAGES_URL, body=requests.ReadTimeout("read timed out"))

    with pytest.raises(TransientSendError, match="Twilio unreachable"):
        channel.send(sms())
