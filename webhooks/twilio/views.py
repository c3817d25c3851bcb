"""Twilio's requests: POST /webhooks/twilio/status (message status callbacks) and
POST /webhooks/twilio/inbound (replies to our number).

Each outgoing SMS names its status callback ``/webhooks/twilio/status?ref=<message id>``, so a
callback finds its message even when it arrives before the send is recorded. Both endpoints
answer 401 to a request ``X-Twilio-Signature`` does not vouch for, and change nothing. Twilio
retries a failed callback only on timeouts and 5xx, so a database failure answers 503. So does a
request we cannot check because a shop's saved auth token no TOKEN_ENCRYPTION_KEY decrypts: that
is our configuration, not a forgery, and the request goes through once the key is back.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.messaging_response import MessagingResponse

from app.crypto import TokenDecryptionError
from app.extensions import csrf, db
from app.messaging.feedback import record_feedback
from app.messaging.sms_keywords import Keyword, help_text, keyword, opt_in, opt_out
from app.models import Message, Shop
from app.models.types import row_id
from app.services import current_services
from app.shop_settings import TWILIO, provider, twilio_account
from webhooks.errors import InvalidSignatureError, WebhookError
from webhooks.text import storable
from webhooks.twilio.status import STATUS_PATH, status_feedback
from webhooks.twilio.verify import SIGNATURE_HEADER, TwilioRequestVerifier, VerificationNotConfiguredError

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
        _verify(_shops_of(message))
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
        _verify(_shops_with_account(storable(request.form.get("AccountSid", ""))))
        phone = storable(request.form.get("From", ""))[:32]
        word = keyword(request.form.get("Body", "")[:160])
        now = current_services().clock.now()
        if word == Keyword.STOP:
            opt_out(db.session(), phone, now, storable(request.form.get("MessageSid", ""))[:64])
        elif word == Keyword.START:
            opt_in(db.session(), phone, now)
        elif word == Keyword.HELP:
            reply.message(help_text(db.session(), phone))
        db.session.commit()
    except WebhookError as exc:
        return _refused(exc)
    except TokenDecryptionError as exc:
        return _misconfigured(exc)
    except SQLAlchemyError as exc:
        return _unavailable(exc)
    return Response(str(reply), mimetype="application/xml")


def _verify(shops: list[Shop]) -> None:
    """Check the signature over the URL Twilio was given (APP_URL, path and query) and the form.

    Twilio signs with the auth token of the account that sent the message: the deployment's, or
    the shop's own account when the merchant saved one in Settings.
    """
    services = current_services()
    url = services.config.app_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    tokens = [services.config.twilio_auth_token]
    unreadable: list[Shop] = []
    for shop in shops:
        try:
            account = twilio_account(shop, services.cipher)
        except TokenDecryptionError:
            unreadable.append(shop)
            continue
        if account is not None:
            tokens.append(account.auth_token)
    try:
        TwilioRequestVerifier(tokens).verify(url, request.form, request.headers.get(SIGNATURE_HEADER))
    except (InvalidSignatureError, VerificationNotConfiguredError) as exc:
        if unreadable:  # the token that would vouch for it may be the one we cannot read
            names = ", ".join(f"shop {shop.id}" for shop in unreadable)
            raise TokenDecryptionError(
                f"the saved Twilio auth token of {names} does not decrypt with TOKEN_ENCRYPTION_KEY"
            ) from exc
        raise


def _shops_of(message: Message | None) -> list[Shop]:
    shop = db.session.get(Shop, message.shop_id) if message is not None else None
    return [shop] if shop is not None else []


def _shops_with_account(account_sid: str) -> list[Shop]:
    """Return the shops that saved this Twilio account (an inbound reply names only the account)."""
    if not account_sid:
        return []
    return [
        shop
        for shop in db.session.scalars(select(Shop).where(Shop.settings.is_not(None)))
        if provider(shop, TWILIO).get("account_sid") == account_sid
    ]


def _other_message(message: Message) -> bool:
    """Tell a callback about another Twilio message than the one we recorded under this id."""
    sid = request.form.get("MessageSid", "")
    return bool(message.provider_message_id) and message.provider_message_id != sid


def _refused(exc: WebhookError) -> Response:
    log.warning("twilio request to %s rejected (%s): %s", request.path, exc.status, exc)
    return Response(str(exc), status=exc.status, mimetype="text/plain")


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
