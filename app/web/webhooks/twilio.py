"""Twilio's requests: POST /webhooks/twilio/status (message status callbacks) and
POST /webhooks/twilio/inbound (replies to our number).

Each outgoing SMS names its status callback ``/webhooks/twilio/status?ref=<message id>``, so a
callback finds its message even when it arrives before the send is recorded. Both endpoints
answer 401 to a request ``X-Twilio-Signature`` does not vouch for, and change nothing. A request
is verified only with the token of the account it belongs to, and acts only within that
account's shops (app/messaging/sms_accounts.py): a merchant's own token speaks for their shop
alone. Twilio retries a failed callback only on timeouts and 5xx, so a database failure answers
503. So does a request we cannot check because the owning shop's saved auth token no
TOKEN_ENCRYPTION_KEY decrypts: that is our configuration, not a forgery, and the request goes
through once the key is back.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.messaging_response import MessagingResponse

from app.core.crypto import TokenDecryptionError
from app.core.text import storable
from app.db import db
from app.db.models import Message, Shop
from app.db.models.types import row_id
from app.jobs.services import current_services
from app.messaging.feedback import record_feedback
from app.messaging.sms_accounts import SmsAccount, inbound_accounts, status_account
from app.messaging.sms_keywords import Keyword, help_text, keyword, opt_in, opt_out
from app.web.errors import status_for
from app.web.extensions import csrf
from webhooks.errors import InvalidSignatureError, WebhookError
from webhooks.twilio.status import STATUS_PATH, status_feedback
from webhooks.twilio.verify import SIGNATURE_HEADER, TwilioRequestVerifier

log = logging.getLogger(__name__)
bp = Blueprint("twilio_webhooks", __name__)

INBOUND_PATH = "/webhooks/twilio/inbound"
# A missing key waits for an operator, not for a reconnect: ask for a later retry than a blip would.
MISCONFIGURED_RETRY_AFTER_SECONDS = 300


@bp.post(STATUS_PATH)
@csrf.exempt
def status() -> Response:
    """Apply one message status callback."""
    try:
        reference = request.args.get("ref", "")
        message_id = row_id(reference)
        message = db.session.get(Message, message_id) if message_id is not None else None
        _verify(_status_accounts(message))
        if message is None or _other_message(message):
            log.info("twilio status for a message we do not have (ref %r): ignored", reference[:32])
            return Response(status=204)
        event = status_feedback(message.id, request.form, current_services().clock.now())
        if event is not None:
            record_feedback(db.session(), [event])
            db.session.commit()
    except WebhookError as exc:
        return _refused(exc)
    except TokenDecryptionError as exc:
        return _misconfigured(exc)
    except SQLAlchemyError as exc:
        return _unavailable(exc)
    return Response(status=204)


@bp.post(INBOUND_PATH)
@csrf.exempt
def inbound() -> Response:
    """Act on a reply to our number: STOP, START or HELP; anything else gets no answer."""
    reply = MessagingResponse()
    try:
        shop_ids = _verify(_inbound_accounts())
        phone = _form("From", 32)
        word = keyword(request.form.get("Body", "")[:160])
        now = current_services().clock.now()
        if word == Keyword.STOP:
            opt_out(db.session(), shop_ids, phone, now, _form("MessageSid", 64))
        elif word == Keyword.START:
            opt_in(db.session(), shop_ids, phone, now)
        elif word == Keyword.HELP:
            reply.message(help_text(db.session(), shop_ids, phone))
        db.session.commit()
    except WebhookError as exc:
        return _refused(exc)
    except TokenDecryptionError as exc:
        return _misconfigured(exc)
    except SQLAlchemyError as exc:
        return _unavailable(exc)
    return Response(str(reply), mimetype="application/xml")


def _verify(accounts: list[SmsAccount]) -> set[int]:
    """Check the signature over the URL Twilio was given (APP_URL, path and query) and the form,
    with each candidate account's own token; return the shops of the accounts whose token signed it.

    Twilio signs with the auth token of the account that sent or received the message: the
    deployment's, or a shop's own account when the merchant saved one in Settings.
    """
    services = current_services()
    url = services.config.app_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    if not accounts:
        raise InvalidSignatureError("no Twilio account of ours sent or received this message")
    signature = request.headers.get(SIGNATURE_HEADER)
    vouched: list[SmsAccount] = []
    refusals: list[WebhookError] = []
    for account in accounts:
        if account.auth_token is None:
            continue
        try:
            TwilioRequestVerifier([account.auth_token]).verify(url, request.form, signature)
        except WebhookError as exc:
            refusals.append(exc)
            continue
        vouched.append(account)
    if vouched:
        return {shop_id for account in vouched for shop_id in account.shop_ids}
    unreadable = [account for account in accounts if account.auth_token is None]
    if unreadable:  # the token that would vouch for it may be the one we cannot read
        names = ", ".join(f"shop {shop_id}" for account in unreadable for shop_id in account.shop_ids)
        raise TokenDecryptionError(
            f"the saved Twilio auth token of {names} does not decrypt with TOKEN_ENCRYPTION_KEY"
        )
    raise refusals[0]


def _inbound_accounts() -> list[SmsAccount]:
    """Return the accounts that own the number this reply was sent to, under the account it names."""
    services = current_services()
    return inbound_accounts(
        db.session(),
        services.config,
        services.cipher,
        _form("AccountSid", 64),
        _form("To", 32),
        _form("MessagingServiceSid", 64),
    )


def _status_accounts(message: Message | None) -> list[SmsAccount]:
    """Return the account a status callback names, if it may have sent this message."""
    shop = db.session.get(Shop, message.shop_id) if message is not None else None
    if shop is None:
        return _unknown_message_accounts()
    services = current_services()
    account = status_account(shop, services.config, services.cipher, _form("AccountSid", 64))
    return [account] if account is not None else []


def _unknown_message_accounts() -> list[SmsAccount]:
    """A callback for a message we do not have acts on nothing; the deployment's token may vouch for it."""
    config = current_services().config
    return (
        [SmsAccount(config.twilio_account_sid, config.twilio_auth_token, ())]
        if config.twilio_auth_token
        else []
    )


def _form(name: str, max_length: int) -> str:
    """Read a form field bounded and storable (app/core/text.py: no NULs, no lone surrogates)."""
    return storable(request.form.get(name, ""))[:max_length]


def _other_message(message: Message) -> bool:
    """Tell a callback about another Twilio message than the one we recorded under this id."""
    sid = request.form.get("MessageSid", "")
    return bool(message.provider_message_id) and message.provider_message_id != sid


def _refused(exc: WebhookError) -> Response:
    log.warning("twilio request to %s rejected (%s): %s", request.path, status_for(exc), exc)
    return Response(str(exc), status=status_for(exc), mimetype="text/plain")


def _misconfigured(exc: TokenDecryptionError) -> Response:
    db.session.rollback()
    log.error(
        "twilio request to %s not checked (503, our configuration, not a forgery): %s", request.path, exc
    )
    return Response(
        "server configuration problem: a stored credential cannot be read",
        status=503,
        mimetype="text/plain",
        headers={"Retry-After": str(MISCONFIGURED_RETRY_AFTER_SECONDS)},
    )


def _unavailable(exc: SQLAlchemyError) -> Response:
    db.session.rollback()
    log.error("twilio request to %s not applied (503, Twilio retries): %s", request.path, exc)
    return Response("temporarily unavailable", status=503, mimetype="text/plain")
