"""The SendGrid event signature check on its own: one error per way a post can be wrong."""

from __future__ import annotations

import pytest

from app.core.config import Config, ConfigError
from tests.support.sendgrid_events import private_key, public_key
from webhooks.errors import InvalidSignatureError, MissingSignatureError
from webhooks.sendgrid.verify import (
    SendGridEventVerifier,
    StaleTimestampError,
    VerificationNotConfiguredError,
    sign,
)

NOW = 1_790_000_000
BODY = b'[{"event":"delivered","storeflow_message_id":"7","sg_event_id":"e1"}]'


def verifier(key: str | None = None) -> SendGridEventVerifier:
    return SendGridEventVerifier(public_key() if key is None else key, now=lambda: NOW)


def signature(body: bytes = BODY, timestamp: int = NOW, key: str = "sendgrid") -> str:
    return sign(body, str(timestamp), private_key(key))


def test_a_signature_over_the_timestamp_and_body_verifies():
    verifier().verify(BODY, signature(), str(NOW))


def test_a_signature_from_another_key_fails():
    with pytest.raises(InvalidSignatureError, match="does not match"):
        verifier().verify(BODY, signature(key="other"), str(NOW))


def test_a_signature_for_another_timestamp_fails():
    with pytest.raises(InvalidSignatureError):
        verifier().verify(BODY, signature(timestamp=NOW - 1), str(NOW))


def test_a_timestamp_five_minutes_old_is_still_accepted():
    verifier().verify(BODY, signature(timestamp=NOW - 300), str(NOW - 300))


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_further_from_now_is_stale(offset):
    with pytest.raises(StaleTimestampError):
        verifier().verify(BODY, signature(timestamp=NOW + offset), str(NOW + offset))


@pytest.mark.parametrize("timestamp", ["soon", "-5", "1.5", "9" * 20])
def test_a_timestamp_that_is_not_unix_seconds_fails(timestamp):
    with pytest.raises(InvalidSignatureError, match="Unix timestamp"):
        verifier().verify(BODY, signature(), timestamp)


@pytest.mark.parametrize("garbage", ["not base64!", "AAAA", "x" * 600])
def test_a_malformed_signature_fails_without_crashing(garbage):
    with pytest.raises(InvalidSignatureError):
        verifier().verify(BODY, garbage, str(NOW))


def test_a_body_that_is_not_utf8_fails():
    body = b"\xff\xfe["
    with pytest.raises(InvalidSignatureError):
        verifier().verify(body, signature(body), str(NOW))


@pytest.mark.parametrize(("sig", "stamp"), [(None, str(NOW)), ("abc", None), ("", "")])
def test_missing_headers_fail(sig, stamp):
    with pytest.raises(MissingSignatureError):
        verifier().verify(BODY, sig, stamp)


def test_without_a_key_nothing_verifies():
    with pytest.raises(VerificationNotConfiguredError):
        verifier(key="").verify(BODY, signature(), str(NOW))


def test_a_malformed_key_stops_start_up():
    with pytest.raises(ConfigError, match="SENDGRID_WEBHOOK_PUBLIC_KEY"):
        Config.from_env({"SENDGRID_WEBHOOK_PUBLIC_KEY": "MFkwEwYHKoZIzj0CAQ"})


def test_the_key_from_mail_settings_is_accepted_at_start_up():
    assert Config.from_env({"SENDGRID_WEBHOOK_PUBLIC_KEY": public_key()}).sendgrid_webhook_public_key
