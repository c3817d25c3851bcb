"""SendGrid's side of the signed Event Webhook: an ECDSA P-256 key pair and signed event posts."""

from __future__ import annotations

import base64
import json
import time
import uuid
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from webhooks.sendgrid.verify import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign


@cache
def private_key(name: str = "sendgrid") -> ec.EllipticCurvePrivateKey:
    """Return a test signing key (one per name and run)."""
    return ec.generate_private_key(ec.SECP256R1())


def public_key(name: str = "sendgrid") -> str:
    """Return the verification key as SendGrid's Mail Settings shows it: base64 DER, no PEM lines."""
    der = private_key(name).public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def event(kind: str, message_id: int | str | None, **fields: Any) -> dict[str, Any]:
    """An event as SendGrid posts it, naming our message through its custom argument."""
    body: dict[str, Any] = {
        "email": "example@email.com",
        "timestamp": int(time.time()),
        "event": kind,
        "sg_event_id": uuid.uuid4().hex,
        "sg_message_id": "fake-sg-1.filter0001",
        "category": ["abandoned_checkout"],
    }
    if message_id is not None:
        body["storeflow_message_id"] = str(message_id)
    body.update(fields)
    return body


def post_events(
    client: FlaskClient,
    events: list[dict[str, Any]] | bytes,
    key: str = "sendgrid",
    timestamp: int | None = None,
    **header_overrides: str,
) -> TestResponse:
    """POST a signed batch of events to /webhooks/sendgrid."""
    body = events if isinstance(events, bytes) else json.dumps(events).encode()
    headers = {"Content-Type": "application/json", **signed_headers(body, key, timestamp)}
    headers.update(header_overrides)
    return client.post("/webhooks/sendgrid", data=body, headers=headers)


def signed_headers(body: bytes, key: str = "sendgrid", timestamp: int | None = None) -> dict[str, str]:
    """The signature and timestamp headers SendGrid sends with this body."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {SIGNATURE_HEADER: sign(body, stamp, private_key(key)), TIMESTAMP_HEADER: stamp}
