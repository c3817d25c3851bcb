"""Encryption of platform access and refresh tokens at rest."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.core.errors import StoreflowError


class TokenDecryptionError(StoreflowError, RuntimeError):
    """A stored token cannot be decrypted with any configured key."""


def _fernet(key: str) -> Fernet:
    """Use a Fernet key as it is; stretch any other secret (a platform's generated one) with SHA-256."""
    try:
        return Fernet(key.encode())
    except ValueError:
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


class TokenCipher:
    """Encrypt with the newest key, decrypt with any configured key (so keys can be rotated)."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        if not keys:
            raise ValueError("at least one TOKEN_ENCRYPTION_KEY is required")
        fernets = [_fernet(key) for key in keys]
        self._newest = fernets[0]
        self._fernet = MultiFernet(fernets)

    def encrypt(self, plaintext: str) -> str:
        """Return the ciphertext of a token as text fit for a database column."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """Return the token behind a ciphertext made by ``encrypt``."""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise TokenDecryptionError("stored token does not decrypt with TOKEN_ENCRYPTION_KEY") from exc

    def is_current(self, ciphertext: str) -> bool:
        """Tell whether a ciphertext is already under the newest key (rotation leaves it alone)."""
        try:
            self._newest.decrypt(ciphertext.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, ciphertext: str) -> str:
        """Return the same token encrypted with the newest key, from a ciphertext of any configured key."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise TokenDecryptionError("stored token does not decrypt with TOKEN_ENCRYPTION_KEY") from exc
