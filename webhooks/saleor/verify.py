"""Verify ``Saleor-Signature``: a detached JWS (RS256, RFC 7797 ``b64: false``) over the raw body.

The signature is ``<protected header>..<signature>``; the signing input is the header and the body
bytes exactly as received, so we verify before parsing anything. Keys come from the instance's
JWKS, chosen by the header's ``kid`` (app/saleor/jwks.py refetches once on rotation). PyJWT reads
``b64`` from the protected header, so the older encoded-payload form verifies the same way.
https://docs.saleor.io/developer/extending/webhooks/payload-signature
"""

from __future__ import annotations

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from app.saleor.errors import JwksUnavailableError, UnknownSigningKeyError
from app.saleor.jwks import JwksClient
from webhooks.errors import InvalidSignatureError, MissingSignatureError
from webhooks.saleor.errors import SigningKeysUnavailableError

SIGNATURE_HEADER = "Saleor-Signature"
MAX_SIGNATURE_LENGTH = 4096


def sign(body: bytes, private_key: RSAPrivateKey, kid: str) -> str:
    """Return the signature Saleor would send for this body (used by tests and the demo)."""
    headers = {"kid": kid, "b64": False, "crit": ["b64"]}
    return jwt.PyJWS().encode(body, private_key, algorithm="RS256", headers=headers, is_payload_detached=True)


class SaleorWebhookVerifier:
    def __init__(self, keys: JwksClient) -> None:
        self._keys = keys

    def verify(self, api_url: str, body: bytes, signature: str | None) -> None:
        """Raise unless the signature is the instance's RS256 JWS over exactly these bytes."""
        if not signature:
            raise MissingSignatureError(f"{SIGNATURE_HEADER} header is missing")
        signature = signature.strip()
        if len(signature) > MAX_SIGNATURE_LENGTH or signature.count(".") != 2 or signature.split(".")[1]:
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} is not a detached JWS")
        try:
            header = jwt.get_unverified_header(signature)
        except jwt.PyJWTError:
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} has an unreadable header") from None
        if header.get("alg") != "RS256":
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} must use RS256, not {header.get('alg')!r}")
        kid = header.get("kid")
        try:
            self._keys.verify(
                api_url,
                kid if isinstance(kid, str) else None,
                lambda key: jwt.PyJWS().decode(
                    signature, key.key, algorithms=["RS256"], detached_payload=body
                ),
            )
        except jwt.InvalidSignatureError:
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} does not match the body") from None
        except UnknownSigningKeyError as exc:
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} is signed with an unknown key: {exc}") from None
        except jwt.PyJWTError as exc:
            raise InvalidSignatureError(f"{SIGNATURE_HEADER} is not a valid JWS: {exc}") from None
        except JwksUnavailableError as exc:
            raise SigningKeysUnavailableError(f"signing keys unavailable: {exc}") from exc
