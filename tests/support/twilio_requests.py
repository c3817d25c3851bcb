"""Twilio's requests to us, signed with its ``RequestValidator`` and a test auth token."""

from __future__ import annotations

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

APP_URL = "https://storeflow.test"
AUTH_TOKEN = "test-auth-token"
ACCOUNT_SID = "AC" + "0" * 32
OUR_NUMBER = "+15005550006"


def signature(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """Return the X-Twilio-Signature Twilio sends for this URL and form."""
    return RequestValidator(token).compute_signature(url, params)


def post_signed(
    client: FlaskClient,
    path: str,
    params: dict[str, str],
    token: str = AUTH_TOKEN,
    signed_url: str | None = None,
) -> TestResponse:
    """POST a form as Twilio does, signed over the public URL (or ``signed_url``)."""
    url = signed_url or APP_URL + path
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature(url, params, token)})


def status_params(sid: str, status: str, error_code: str | None = None) -> dict[str, str]:
    """A message status callback's form (abridged to what matters)."""
    params = {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "From": OUR_NUMBER,
        "To": "+16135551111",
        "ApiVersion": "2010-04-01",
    }
    if error_code:
        params["ErrorCode"] = error_code
    return params


def inbound_params(sender: str, body: str, sid: str = "SM" + "c" * 32) -> dict[str, str]:
    """An incoming SMS's form (abridged)."""
    return {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "From": sender,
        "To": OUR_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
