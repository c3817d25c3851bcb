"""Which Twilio account a request from Twilio speaks for, and for which shops (issue 14.5).

Twilio signs a request with the auth token of the account it concerns. A merchant who saved their
own account in Settings holds that token and can sign anything with it, so a token vouches only
for the shops that send through its account: the deployment's account for the shops without one of
their own, a shop's account for that shop. An inbound message belongs to the account that owns the
receiving number (``To``, or the ``MessagingServiceSid`` of its sender pool) and is named by
``AccountSid``; a status callback belongs to the shop of its message. Each candidate is verified
with its own token only, and a verified request acts only within the candidate's shops.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Config
from app.core.crypto import TokenCipher, TokenDecryptionError
from app.db.models import Shop
from app.shops.settings import TWILIO, provider, twilio_account

_NOT_DIALLED = re.compile(r"[^\d+]")


@dataclass(frozen=True)
class SmsAccount:
    """A Twilio account, the token that signs its requests, and the shops it texts for.

    ``auth_token`` is None when the shop's saved token no TOKEN_ENCRYPTION_KEY decrypts: the request
    may still be genuine, so the caller answers a configuration error rather than a forgery.
    """

    account_sid: str
    auth_token: str | None
    shop_ids: tuple[int, ...]


def inbound_accounts(
    session: Session, config: Config, cipher: TokenCipher, account_sid: str, to: str, service_sid: str
) -> list[SmsAccount]:
    """Return each account that owns the receiving number under ``AccountSid`` (usually one)."""
    if not account_sid:
        return []
    shops = list(session.scalars(select(Shop).order_by(Shop.id)))
    own = {shop.id for shop in shops if provider(shop, TWILIO).get("account_sid")}
    found: list[SmsAccount] = []
    if _is_deployments(config, account_sid) and _owns(
        config.twilio_from_number, config.twilio_messaging_service_sid, to, service_sid, unset_owns=True
    ):
        shared = tuple(shop.id for shop in shops if shop.id not in own)
        found.append(SmsAccount(account_sid, config.twilio_auth_token, shared))
    for shop in shops:
        record = provider(shop, TWILIO)
        if shop.id not in own or record.get("account_sid") != account_sid:
            continue
        if not _owns(
            str(record.get("from_number") or ""),
            str(record.get("messaging_service_sid") or ""),
            to,
            service_sid,
        ):
            continue
        found.extend(_shops_account(shop, cipher, account_sid))  # decrypted only for the number's owner
    return found


def status_account(shop: Shop, config: Config, cipher: TokenCipher, account_sid: str) -> SmsAccount | None:
    """Return the account a status callback for one of the shop's messages names, if it may be it."""
    own = provider(shop, TWILIO).get("account_sid")
    if own and own == account_sid:
        return next(iter(_shops_account(shop, cipher, account_sid)), None)
    if _is_deployments(config, account_sid):
        # Sent through the deployment's account (the shop may have saved its own since).
        return SmsAccount(account_sid, config.twilio_auth_token, (shop.id,))
    return None


def _shops_account(shop: Shop, cipher: TokenCipher, account_sid: str) -> list[SmsAccount]:
    """Return the shop's own account (its token None when no configured key decrypts it)."""
    try:
        account = twilio_account(shop, cipher)
    except TokenDecryptionError:
        return [SmsAccount(account_sid, None, (shop.id,))]
    return [SmsAccount(account_sid, account.auth_token, (shop.id,))] if account is not None else []


def _is_deployments(config: Config, account_sid: str) -> bool:
    """Tell whether the request names the deployment's account (any, while none is configured)."""
    if not config.twilio_auth_token:
        return False
    return not config.twilio_account_sid or config.twilio_account_sid == account_sid


def _owns(number: str, service_sid: str, to: str, to_service: str, unset_owns: bool = False) -> bool:
    """Tell whether the account's number or sender pool received the message."""
    if not number and not service_sid:
        return unset_owns
    if number and _NOT_DIALLED.sub("", number) == _NOT_DIALLED.sub("", to):
        return True
    return bool(service_sid) and service_sid == to_service
