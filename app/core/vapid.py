"""VAPID keys: the deployment's identity towards browser push services (RFC 8292).

A browser subscription is bound to the public key it was made with, so the key pair must stay the
same for the life of a deployment. Keys are base64url, as browsers and the ``web-push`` tools print
them: the private key as its raw 32-byte scalar (or DER), the public key as the uncompressed P-256
point a page hands to ``pushManager.subscribe``. It sits on the core floor and imports nothing of
the app, so the configuration checks the keys at start-up.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02, b64urlencode

from app.core.errors import StoreflowError

# Development and the demo only: a published key pair, so subscriptions can be captured with no
# configuration. Production refuses it (app/core/config.py); nothing signed with it is sent anywhere:
# without VAPID_PRIVATE_KEY pushes go to the dev outbox.
DEV_PUBLIC_KEY = "BEgv7TfjbR_T7mCd0L32qXhjXLby_qgKqxVmaSCftmPn6vffsoptQbZH1V-4icXL1ne6CXriwesLdNYajXSHXSQ"


class VapidKeyError(StoreflowError, ValueError):
    """A VAPID key is malformed, or the public key is not the private key's."""


def load_private_key(private_key: str) -> Vapid02:
    """Read a base64url private key (raw or DER) into a signer."""
    try:
        return Vapid02.from_string(private_key.strip())
    except Exception as exc:  # py_vapid raises whatever its decoders raise
        raise VapidKeyError(f"not a base64url P-256 private key ({type(exc).__name__})") from None


def public_key_of(signer: Vapid02) -> str:
    """Return the base64url uncompressed public key a storefront subscribes with."""
    point = signer.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64urlencode(point)


def checked_public_key(private_key: str, public_key: str) -> str:
    """Return the public key for a private key, refusing a given public key that does not match it."""
    derived = public_key_of(load_private_key(private_key))
    if public_key and public_key.strip().rstrip("=") != derived:
        raise VapidKeyError("VAPID_PUBLIC_KEY is not the public half of VAPID_PRIVATE_KEY")
    return derived


def new_key_pair() -> tuple[str, str]:
    """Make a new (private, public) key pair, base64url, for a new deployment."""
    signer = Vapid02()
    signer.generate_keys()
    scalar = signer.private_key.private_numbers().private_value.to_bytes(32, "big")
    return b64urlencode(scalar), public_key_of(signer)
