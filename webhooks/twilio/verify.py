"""Verify ``X-Twilio-Signature`` with the ``twilio`` library's ``RequestValidator``.

Twilio signs the full URL it requested (as configured, so ours is rebuilt from APP_URL: behind a
proxy the request's own URL may differ) followed by the POST parameters sorted by name, with
HMAC-SHA1 keyed by the account's auth token.
https://www.twilio.com/docs/usage/webhooks/webhooks-security
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from twilio.request_validator import RequestValidator

from webhooks.errors import InvalidSignatureError, MissingSignatureError, WebhookVerificationError

SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_SIGNATURE_LENGTH = 128


class VerificationNotConfiguredError(WebhookVerificationError):
    """No Twilio auth token is configured, so no request can be trusted (401)."""


class TwilioRequestVerifier:
    def __init__(self, auth_tokens: Sequence[str]) -> None:
        self._validators = [RequestValidator(token) for token in auth_tokens if token]

    def verify(self, url: str, params: Mapping[str, str], signature: str | None) -> None:
        """Raise unless one of the accounts' tokens signed this URL and these parameters."""
        if not self._validators:
            raise VerificationNotConfiguredError("TWILIO_AUTH_TOKEN is not set")
        if not signature:
            raise MissingSignatureError(f"{SIGNATURE_HEADER} header is missing")
        if len(signature) > MAX_SIGNATURE_LENGTH:
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} is too long")
        if not any(validator.validate(url, params, signature) for validator in self._validators):
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} does not match the URL and parameters")
