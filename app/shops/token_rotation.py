"""Re-encrypt every secret a shop stores with the newest TOKEN_ENCRYPTION_KEY, so older keys can go.

What is encrypted at rest, and so what rotation covers: the platform's access token and refresh
token columns of ``shop`` (Shopify offline tokens, Saleor app tokens) and the secret field of each
provider record in ``shop.settings`` (a merchant's SendGrid API key and Twilio auth token, listed
in ``ENCRYPTED_PROVIDER_FIELDS``). A secret already under the newest key is left as it is, so a
second run changes nothing; one that no configured key decrypts is reported and left as it is.
The caller commits (the CLI, one shop at a time, each row locked against a concurrent refresh).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.crypto import TokenCipher, TokenDecryptionError
from app.db.models import Shop
from app.shops.settings import ENCRYPTED_PROVIDER_FIELDS, provider, store_provider

TOKEN_COLUMNS = {"access token": "access_token_enc", "refresh token": "refresh_token_enc"}


@dataclass
class RotationReport:
    """What a rotation did, by count; undecryptable secrets by shop and name, never by value."""

    shops: int = 0
    rotated: int = 0
    current: int = 0
    undecryptable: list[str] = field(default_factory=list)


def rotate_shop_secrets(shop: Shop, cipher: TokenCipher, report: RotationReport) -> None:
    """Re-encrypt one shop's stored secrets with the newest key, counting each in ``report``."""
    report.shops += 1
    for name, column in TOKEN_COLUMNS.items():
        ciphertext = getattr(shop, column)
        if ciphertext:
            rotated = _rotated(shop, name, ciphertext, cipher, report)
            if rotated is not None:
                setattr(shop, column, rotated)
    for name, secret_field in ENCRYPTED_PROVIDER_FIELDS.items():
        record = provider(shop, name)
        ciphertext = record.get(secret_field)
        if isinstance(ciphertext, str) and ciphertext:
            rotated = _rotated(shop, f"{name} {secret_field}", ciphertext, cipher, report)
            if rotated is not None:
                store_provider(shop, name, {**record, secret_field: rotated})


def _rotated(
    shop: Shop, name: str, ciphertext: str, cipher: TokenCipher, report: RotationReport
) -> str | None:
    if cipher.is_current(ciphertext):
        report.current += 1
        return None
    try:
        rotated = cipher.rotate(ciphertext)
    except TokenDecryptionError:
        report.undecryptable.append(f"shop {shop.id} ({shop.platform} {shop.domain}): {name}")
        return None
    report.rotated += 1
    return rotated
