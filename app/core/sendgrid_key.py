"""Read SendGrid's Event Webhook verification key, so the configuration can check it at start-up.

Mail Settings shows the key as base64 DER without PEM armour; the ``sendgrid`` library wraps it the
same way before loading it. This sits on the core floor: only ``cryptography``, no HTTP client.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key


def load_public_key(value: str) -> ec.EllipticCurvePublicKey:
    """Read SendGrid's verification key (base64 DER, as Mail Settings shows it); raise ValueError."""
    pem = "-----BEGIN PUBLIC KEY-----\n" + value.strip() + "\n-----END PUBLIC KEY-----"
    try:
        key = load_pem_public_key(pem.encode("utf-8"))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a base64 public key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("not an elliptic-curve (ECDSA) public key")
    return key
