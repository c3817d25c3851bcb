"""Verify ``Saleor-Signature``: a detached JWS (RS256, RFC 7797 ``b64: false``) over the raw body.

The signature is ``<protected header>..<signature>``; the signing input is the header and the body
bytes exactly as received, so we verify before parsing anything. Keys come from the instance's
JWKS, chosen by the header's ``kid``, through the ``SigningKeys`` the web door hands in
(app/platforms/saleor/jwks.py, which refetches once on rotation). ``b64`` is
read from the protected header, so the older encoded-payload form verifies the same way.

The check is RFC 7515/7797 done directly with ``cryptography`` (RSASSA-PKCS1-v1_5 with SHA-256):
PyJWT validates base64url segments one character at a time in Python, which cost more than a
quarter of a millisecond per delivery, as much as everything else on the request path.
https://docs.saleor.io/developer/extending/webhooks/payload-signature
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any, Protocol

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from webhooks.errors import InvalidSignatureError, MissingSignatureError
from webhooks.saleor.errors import JwksUnavailableError, SigningKeysUnavailableError, UnknownSigningKeyError

SIGNATURE_HEADER = "Saleor-Signature"
MAX_SIGNATURE_LENGTH = 4096
UNDERSTOOD_CRITICAL = frozenset({"b64"})
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


def sign(body: bytes, private_key: RSAPrivateKey, kid: str) -> str:
    """Return the signature Saleor would send for this body (used by tests and the demo)."""
    headers = {"kid": kid, "b64": False, "crit": ["b64"]}
    return jwt.PyJWS().encode(body, private_key, algorithm="RS256", headers=headers, is_payload_detached=True)


class SigningKeys(Protocol):
    """An instance's published keys (app/platforms/saleor/jwks.py fetches and caches them; the web
    door hands them in), so verifying needs no HTTP client here."""

    def verify(self, api_url: str, kid: str | None, check: Callable[[jwt.PyJWK], None]) -> None:
        """Run ``check`` with the instance's key for ``kid``; raise UnknownSigningKeyError when it
        publishes none that passes, JwksUnavailableError when its keys cannot be had."""
        ...


class SaleorWebhookVerifier:
    def __init__(self, keys: SigningKeys) -> None:
        self._keys = keys

    def verify(self, api_url: str, body: bytes, signature: str | None) -> None:
        """Raise unless the signature is the instance's RS256 JWS over exactly these bytes."""
        if not signature:
            raise MissingSignatureError(f"{SIGNATURE_HEADER} header is missing")
        signature = signature.strip()
        if len(signature) > MAX_SIGNATURE_LENGTH or signature.count(".") != 2 or signature.split(".")[1]:
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} is not a detached JWS")
        encoded_header, _, encoded_signature = signature.split(".")
        header = _protected_header(encoded_header)
        if header.get("alg") != "RS256":
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} must use RS256, not {header.get('alg')!r}")
        signing_input = encoded_header.encode() + b"." + (body if header.get("b64") is False else _b64(body))
        raw_signature = _unb64(encoded_signature, "signature")
        kid = header.get("kid")
        try:
            self._keys.verify(
                api_url,
                kid if isinstance(kid, str) else None,
                lambda key: _check(key, raw_signature, signing_input),
            )
        except jwt.InvalidSignatureError:
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} does not match the body") from None
        except UnknownSigningKeyError as exc:
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} is signed with an unknown key: {exc}") from None
        except JwksUnavailableError as exc:
            raise SigningKeysUnavailableError(f"signing keys unavailable: {exc}") from exc


def _protected_header(encoded: str) -> dict[str, Any]:
    """Decode and check the protected header: a JSON object whose critical parameters we understand."""
    try:
        header = json.loads(_unb64(encoded, "header"))
    except (ValueError, RecursionError):
        raise InvalidSignatureError(f"{SIGNATURE_HEADER} has an unreadable header") from None
    if not isinstance(header, dict):
        raise InvalidSignatureError(f"{SIGNATURE_HEADER} has an unreadable header")
    critical = header.get("crit", [])
    if not isinstance(critical, list) or (not critical and "crit" in header):
        raise InvalidSignatureError(f"{SIGNATURE_HEADER} has an invalid crit parameter")
    for name in critical:
        if name not in UNDERSTOOD_CRITICAL or name not in header:
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} needs {name!r}, which we do not understand")
    if "b64" in header and not isinstance(header["b64"], bool):
        raise InvalidSignatureError(f"{SIGNATURE_HEADER} has a b64 parameter that is not a boolean")
    return header


def _check(key: jwt.PyJWK, raw_signature: bytes, signing_input: bytes) -> None:
    """Verify with one of the instance's keys; a mismatch is PyJWT's error, which triggers a refetch."""
    public_key = key.key
    if not isinstance(public_key, RSAPublicKey):
        raise jwt.InvalidSignatureError("the instance's key is not an RSA public key")
    try:
        public_key.verify(raw_signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise jwt.InvalidSignatureError("signature verification failed") from None


def _unb64(segment: str, name: str) -> bytes:
    """Decode one base64url segment (no padding, URL alphabet only), checked at C speed."""
    if not _SEGMENT.fullmatch(segment) or len(segment) % 4 == 1:
        raise InvalidSignatureError(f"{SIGNATURE_HEADER} has an invalid {name}")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")
