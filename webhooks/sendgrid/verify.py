"""Verify SendGrid's signed Event Webhook: ECDSA (P-256, SHA-256) over the timestamp and the raw body.

SendGrid signs ``timestamp + payload`` with its private key and sends the base64 DER signature in
``X-Twilio-Email-Event-Webhook-Signature`` and the Unix timestamp in
``X-Twilio-Email-Event-Webhook-Timestamp``; the merchant copies the verification key from Mail
Settings. The check itself is the ``sendgrid`` library's ``EventWebhook``; this adds what it leaves
out: refusing a stale timestamp (a replayed post) and one error per failure.
https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.eventwebhook.eventwebhook_header import EventWebhookHeader

from webhooks.errors import InvalidSignatureError, MissingSignatureError, WebhookVerificationError

SIGNATURE_HEADER = EventWebhookHeader.SIGNATURE
TIMESTAMP_HEADER = EventWebhookHeader.TIMESTAMP
# SendGrid signs each post when it sends it; a post older than this is a replay.
MAX_AGE_SECONDS = 300
MAX_SIGNATURE_LENGTH = 512


class StaleTimestampError(WebhookVerificationError):
    """The signed timestamp is too far from now: a replayed or badly delayed post (401)."""


class VerificationNotConfiguredError(WebhookVerificationError):
    """No verification key is configured, so no event can be trusted (401)."""


def sign(payload: bytes, timestamp: str, private_key: ec.EllipticCurvePrivateKey) -> str:
    """Return the signature SendGrid would send for this body and timestamp (tests and the demo)."""
    signature = private_key.sign(timestamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


class SendGridEventVerifier:
    def __init__(
        self,
        public_key: str,
        max_age_seconds: float = MAX_AGE_SECONDS,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._webhook = EventWebhook(public_key.strip()) if public_key else None
        self._max_age = max_age_seconds
        self._now = now

    def verify(self, payload: bytes, signature: str | None, timestamp: str | None) -> None:
        """Raise unless SendGrid signed exactly this body at a time close to now."""
        if self._webhook is None:
            raise VerificationNotConfiguredError("SENDGRID_WEBHOOK_PUBLIC_KEY is not set")
        if not signature or not timestamp:
            raise MissingSignatureError(f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} headers are required")
        timestamp = timestamp.strip()
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise InvalidSignatureError(f"{TIMESTAMP_HEADER} is not a Unix timestamp")
        if abs(self._now() - int(timestamp)) > self._max_age:
            raise StaleTimestampError(f"{TIMESTAMP_HEADER} is more than {self._max_age:g} s from now")
        if len(signature) > MAX_SIGNATURE_LENGTH:
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} is too long")
        try:
            valid = self._webhook.verify_signature(payload.decode("utf-8"), signature.strip(), timestamp)
        except (UnicodeDecodeError, binascii.Error, ValueError):
            valid = False
        if not valid:
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} does not match the body and timestamp")
